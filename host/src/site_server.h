#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace dictlab::host {

// Serves a site folder (an export) on address:port until Ctrl-C or SIGTERM,
// with the labelling API over the run's labels; port 0 picks a free one.
// Prints the URL once it listens. `per_stage_folders`: the folder is an
// `export --all` (one site per analysis stage in site/<stage>/), and each
// stage's labelling API is under /<stage>/api/; else the one stage's is at /api/.
// Only requests addressed to this server by its own pages are answered
// (request_guard.h); idle and half-open connections are dropped within seconds.
absl::Status serve_site(const std::filesystem::path& site, const std::filesystem::path& run_dir,
                        const std::vector<std::string>& analysis_stages, bool per_stage_folders,
                        const std::string& address, int port, std::ostream& out);

}  // namespace dictlab::host

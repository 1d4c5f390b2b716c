#pragma once

#include <filesystem>
#include <ostream>
#include <string>

#include "absl/status/status.h"

namespace dictlab::host {

// Serves a site folder (an export) on address:port until Ctrl-C or SIGTERM,
// with the labelling API over the run's labels; port 0 picks a free one.
// Prints the URL once it listens.
absl::Status serve_site(const std::filesystem::path& site, const std::filesystem::path& run_dir,
                        const std::string& analysis_stage, const std::string& address, int port, std::ostream& out);

}  // namespace dictlab::host

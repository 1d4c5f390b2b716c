#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dictlab::host {

struct SiteExportOptions {
  std::filesystem::path run_dir;
  std::filesystem::path out;            // the site folder to write
  std::string stage;                    // the analysis stage; empty: the only one in the run
  std::int64_t shard_size = 64;         // features per data/features/ file
  std::filesystem::path site_assets;    // the built site (index.html, assets/); empty: data/ only
};

// Writes the feature browser for a run from its feature store (host/site/DATA.md):
// the built site, data/run.json, index.bin, search.json, feature shards and
// the browser model. The folder is replaced whole, so a failed export leaves
// the previous one as it was.
absl::Status export_site(const SiteExportOptions& options);

// The run's finished feature_analysis stage: `requested` if given, else the only one.
absl::StatusOr<std::string> find_analysis_stage(const std::filesystem::path& run_dir, const std::string& requested);

// Where the built site lives: next to the executable (build tree) or installed.
std::filesystem::path default_site_assets();

}  // namespace dictlab::host

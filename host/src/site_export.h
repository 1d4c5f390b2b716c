#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dictlab::host {

struct SiteExportOptions {
  std::filesystem::path run_dir;
  std::filesystem::path out;            // the site folder to write
  std::string stage;                    // the analysis stage; empty: the only one in the run
  bool all = false;                     // every analysis stage, each into out/<stage>/, and out/index.html
  std::int64_t shard_size = 64;         // features per data/features/ file
  std::filesystem::path site_assets;    // the built site (index.html, assets/); empty: data/ only
  bool force = false;                   // replace `out` even if it is not an earlier export
};

// Writes the feature browser for a run from its feature store (host/site/DATA.md):
// the built site, data/run.json, index.bin, search.json, feature shards (with
// each feature's labels and their scores, and its related features in other
// dictionaries, related_features.h), labels.json (every label with its scores)
// and the browser model. With `all`, one such site per analysis stage in
// out/<stage>/, siblings, so that the links between them work. The folder is
// replaced whole, so a failed export leaves the previous one as it was; a
// folder that is not an earlier export is refused unless `force` (site_folder.h).
absl::Status export_site(const SiteExportOptions& options);

// The run's finished feature_analysis stages, by name; an error if it has none.
absl::StatusOr<std::vector<std::string>> find_analysis_stages(const std::filesystem::path& run_dir);

// The run's finished feature_analysis stage: `requested` if given, else the only one.
absl::StatusOr<std::string> find_analysis_stage(const std::filesystem::path& run_dir, const std::string& requested);

// Where the built site lives: next to the executable (build tree) or installed.
std::filesystem::path default_site_assets();

}  // namespace dictlab::host

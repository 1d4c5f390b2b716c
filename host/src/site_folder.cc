#include "site_folder.h"

#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

namespace dictlab::host {
namespace fs = std::filesystem;

namespace {

bool has_site_data(const fs::path& site) {
  std::ifstream in(site / "data" / "run.json");
  const auto run = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return run.is_object() && run.value("format", nlohmann::json()) == "dictlab.site/1";
}

// Exports written before the marker: data/run.json at the top, or (--all)
// index.html beside one folder per analysis stage, each with its data/run.json.
bool is_unmarked_earlier_export(const fs::path& out) {
  if (has_site_data(out)) return true;
  if (!fs::exists(out / "index.html")) return false;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(out, error))
    if (entry.is_directory() && has_site_data(entry.path())) return true;
  return false;
}

}  // namespace

absl::Status check_site_folder_replaceable(const fs::path& out, bool force) {
  std::error_code error;
  const auto status = fs::symlink_status(out, error);
  if (!fs::exists(status) || force) return absl::OkStatus();
  if (!fs::is_directory(status))
    return absl::FailedPreconditionError(out.string() + " exists and is not a folder; choose another --out");
  if (fs::is_empty(out, error) || fs::exists(out / kSiteMarkerFile) || is_unmarked_earlier_export(out))
    return absl::OkStatus();
  return absl::FailedPreconditionError(
      out.string() + " is a folder that dictlab did not write (it has no " + kSiteMarkerFile +
      "); an export replaces its folder whole, so nothing was written. Choose another --out, or pass --force "
      "to replace this folder and everything in it");
}

void replace_site_folder(const fs::path& staged, const fs::path& out) {
  const fs::path old = out.string() + ".old-" + std::to_string(::getpid());
  const bool had_old = fs::exists(fs::symlink_status(out));
  if (had_old) fs::rename(out, old);
  fs::rename(staged, out);
  if (had_old) fs::remove_all(old);
}

}  // namespace dictlab::host

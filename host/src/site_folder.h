#pragma once

#include <filesystem>

#include "absl/status/status.h"

namespace dictlab::host {

// Every export carries this file, so that a later export knows the folder is
// its own to replace and never replaces a folder of the user's.
inline constexpr const char* kSiteMarkerFile = ".dictlab-site";

// OK when `out` may be replaced by a new export: it does not exist, is an
// empty folder, holds an earlier export (the marker, or an export made before
// the marker existed), or `force` is set. Otherwise FailedPrecondition naming
// the folder and --force.
absl::Status check_site_folder_replaceable(const std::filesystem::path& out, bool force);

// Puts the finished export `staged` (a sibling of `out`) in place of `out`.
// The old folder is moved aside first and deleted only once the new one is in.
void replace_site_folder(const std::filesystem::path& staged, const std::filesystem::path& out);

}  // namespace dictlab::host

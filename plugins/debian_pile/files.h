#pragma once

// Finding and reading the sources' files, in a deterministic order.
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace debian_pile {

namespace fs = std::filesystem;

enum class Order {
  kByName,  // sorted by path: for sources read whole, in their natural order
  // Sorted by a hash of the path relative to the listed folder: still
  // deterministic, but a source capped long before its end samples all of
  // its subfolders instead of only the first ones alphabetically.
  kSpread,
};

struct Listing {
  std::function<bool(const fs::path&)> want;  // on the file's path; null takes all
  std::vector<std::string> skip_dirs;         // folder names never entered (testdata, __pycache__)
  bool recursive = true;
  Order order = Order::kByName;
};

// Regular files under `dir`, symlinks excluded: on Debian they are aliases
// (fortunes' .u8, man page links) and would only produce duplicates. A
// folder that does not exist gives an empty list.
std::vector<fs::path> list_files(const fs::path& dir, const Listing& listing = {});
// Several folders, concatenated in the given order.
std::vector<fs::path> list_files(const std::vector<fs::path>& dirs, const Listing& listing = {});

std::optional<std::string> read_file(const fs::path& file);
// A gzip (or dictzip) file decompressed; zlib reads plain files unchanged.
std::optional<std::string> read_gzip(const fs::path& file);
// Up to `length` bytes at `offset`.
std::optional<std::string> read_range(const fs::path& file, std::uintmax_t offset, std::size_t length);

// The child folder of `parent` whose name starts with `prefix` and sorts last
// in natural order ("python3.11" over "python3.9"), so the sources follow
// the versions of the Debian release they run on.
std::optional<fs::path> newest_child(const fs::path& parent, const std::string& prefix);

bool has_suffix(const fs::path& file, std::string_view suffix);
// A Listing::want that takes files whose name ends with one of `endings`.
std::function<bool(const fs::path&)> with_suffix(std::vector<std::string> endings);

}  // namespace debian_pile

#include "files.h"

#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "text.h"

namespace debian_pile {

std::vector<fs::path> list_files(const fs::path& dir, const Listing& listing) {
  std::vector<fs::path> files;
  std::error_code error;
  if (!fs::is_directory(dir, error)) return files;
  const auto options = fs::directory_options::skip_permission_denied;
  const auto take = [&](const fs::directory_entry& entry) {
    std::error_code e;
    if (entry.is_symlink(e) || !entry.is_regular_file(e)) return;
    if (!listing.want || listing.want(entry.path())) files.push_back(entry.path());
  };
  if (listing.recursive) {
    fs::recursive_directory_iterator it(dir, options, error), end;
    for (; !error && it != end; it.increment(error)) {
      if (it->is_directory(error) && !it->is_symlink(error)) {
        const std::string name = it->path().filename().string();
        if (std::find(listing.skip_dirs.begin(), listing.skip_dirs.end(), name) != listing.skip_dirs.end())
          it.disable_recursion_pending();
        continue;
      }
      take(*it);
    }
  } else {
    for (fs::directory_iterator it(dir, options, error), end; !error && it != end; it.increment(error)) take(*it);
  }
  if (listing.order == Order::kSpread) {
    std::vector<std::pair<std::uint64_t, fs::path>> keyed;
    keyed.reserve(files.size());
    for (auto& file : files) keyed.emplace_back(fnv1a(file.lexically_relative(dir).string()), std::move(file));
    std::sort(keyed.begin(), keyed.end());
    files.clear();
    for (auto& [key, file] : keyed) files.push_back(std::move(file));
  } else {
    std::sort(files.begin(), files.end());
  }
  return files;
}

std::vector<fs::path> list_files(const std::vector<fs::path>& dirs, const Listing& listing) {
  std::vector<fs::path> files;
  for (const auto& dir : dirs) {
    auto more = list_files(dir, listing);
    files.insert(files.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  return files;
}

std::optional<std::string> read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::optional<std::string> read_gzip(const fs::path& file) {
  gzFile raw = gzopen(file.c_str(), "rb");
  if (raw == nullptr) return std::nullopt;
  struct Closer {
    gzFile handle;
    ~Closer() { gzclose(handle); }
  } closer{raw};
  gzbuffer(raw, 1 << 16);
  std::string out;
  std::string chunk(1 << 16, '\0');
  for (;;) {
    const int n = gzread(raw, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) return std::nullopt;
    if (n == 0) break;
    out.append(chunk.data(), static_cast<std::size_t>(n));
  }
  return out;
}

std::optional<std::string> read_range(const fs::path& file, std::uintmax_t offset, std::size_t length) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  in.seekg(static_cast<std::streamoff>(offset));
  std::string out(length, '\0');
  in.read(out.data(), static_cast<std::streamsize>(length));
  out.resize(static_cast<std::size_t>(in.gcount()));
  return out;
}

std::optional<fs::path> newest_child(const fs::path& parent, const std::string& prefix) {
  std::optional<fs::path> best;
  std::error_code error;
  for (fs::directory_iterator it(parent, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix) || !it->is_directory(error)) continue;
    if (!best || natural_less(best->filename().string(), name)) best = it->path();
  }
  return best;
}

bool has_suffix(const fs::path& file, std::string_view suffix) {
  return file.filename().string().ends_with(suffix);
}

std::function<bool(const fs::path&)> with_suffix(std::vector<std::string> endings) {
  return [endings = std::move(endings)](const fs::path& file) {
    const std::string name = file.filename().string();
    for (const auto& ending : endings)
      if (name.ends_with(ending)) return true;
    return false;
  };
}

}  // namespace debian_pile

#pragma once

// Plain text files read as documents of at most max_bytes, cut after the
// last line break that fits (or at max_bytes in a line longer than that),
// streamed so that memory is one document and a read buffer whatever the
// file's size.

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "dictlab/errors.h"

namespace text_files {

inline std::ifstream open_binary(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw dictlab::PluginError("cannot read " + file.string() + ": " + std::strerror(errno));
  return in;
}

// Binary files (images, archives, compiled code) are not text to learn from:
// any NUL byte anywhere, as when the whole file was read, but in a stream.
inline bool looks_like_text(const std::filesystem::path& file) {
  std::ifstream in = open_binary(file);
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    if (std::memchr(chunk, '\0', static_cast<std::size_t>(in.gcount()))) return false;
    if (!in) break;
  }
  if (in.bad()) throw dictlab::PluginError("cannot read " + file.string() + ": " + std::strerror(errno));
  return true;
}

// Calls emit with each document of the file in order; stops when it returns false.
inline void read_text_documents(const std::filesystem::path& file, std::size_t max_bytes,
                                const std::function<bool(std::string&&)>& emit) {
  std::ifstream in = open_binary(file);
  std::string pending;
  std::string chunk(1 << 16, '\0');
  bool at_end = false;
  while (!at_end || !pending.empty()) {
    // One byte past max_bytes tells whether the document ends at the file's end.
    while (!at_end && pending.size() <= max_bytes) {
      in.read(chunk.data(), static_cast<std::streamsize>(std::min(chunk.size(), max_bytes + 1 - pending.size())));
      pending.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
      if (in.bad()) throw dictlab::PluginError("cannot read " + file.string() + ": " + std::strerror(errno));
      at_end = !in;
    }
    std::size_t end = std::min(pending.size(), max_bytes);
    if (end < pending.size()) {
      const std::size_t newline = pending.rfind('\n', end - 1);
      if (newline != std::string::npos && newline > 0) end = newline + 1;
    }
    if (!emit(pending.substr(0, end))) return;
    pending.erase(0, end);
  }
}

}  // namespace text_files

#pragma once

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "dictlab/errors.h"

namespace dictlab {

// Writes to "<path>.tmp-<pid>-<n>" and renames onto <path> in commit(), so
// readers see the old file or the complete new one, never a torn write. The
// per-process count n keeps threads that write one path at once (an LLM
// cache entry two labels ask for) out of each other's temp file.
// Dropped without commit() (an exception, a stop), the temp file is removed.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path path)
      : path_(std::move(path)),
        temp_(path_.string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(next_temp_number())),
        out_(temp_, std::ios::binary | std::ios::trunc) {
    if (!out_) throw PluginError("cannot write " + temp_.string());
  }
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() {
    if (!committed_) {
      out_.close();
      std::error_code ignored;
      std::filesystem::remove(temp_, ignored);
    }
  }

  std::ofstream& stream() { return out_; }
  void write(std::string_view bytes) { out_.write(bytes.data(), std::streamsize(bytes.size())); }

  void commit() {
    out_.flush();
    if (!out_) throw PluginError("write failed: " + temp_.string());
    out_.close();
    sync_file(temp_);
    std::error_code error;
    std::filesystem::rename(temp_, path_, error);
    if (error) throw PluginError("cannot rename " + temp_.string() + ": " + error.message());
    committed_ = true;
  }

  static void write_all(const std::filesystem::path& path, std::string_view bytes) {
    AtomicFile file(path);
    file.write(bytes);
    file.commit();
  }

 private:
  static std::uint64_t next_temp_number() {
    static std::atomic<std::uint64_t> count{0};
    return count.fetch_add(1, std::memory_order_relaxed);
  }

  // Without fsync a power cut after the rename can leave an empty file.
  static void sync_file(const std::filesystem::path& path) {
    if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
      ::fsync(::fileno(f));
      std::fclose(f);
    }
  }

  std::filesystem::path path_;
  std::filesystem::path temp_;
  std::ofstream out_;
  bool committed_ = false;
};

}  // namespace dictlab

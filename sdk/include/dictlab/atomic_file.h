#pragma once

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <cstdint>
#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>

#include "dictlab/errors.h"
#include "dictlab/file_output.h"

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
        buffer_(temp_),
        out_(&buffer_) {}
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile() {
    if (!committed_) {
      std::error_code ignored;
      std::filesystem::remove(temp_, ignored);
    }
  }

  std::ostream& stream() { return out_; }
  void write(std::string_view bytes) { out_.write(bytes.data(), std::streamsize(bytes.size())); }

  // Syncs the temp file (without fsync a power cut after the rename can
  // leave an empty file) and renames it onto the path. A failed write (a full
  // disk) throws a PluginError naming the path and strerror.
  void commit() {
    out_.flush();
    if (const int error = buffer_.finish())
      throw PluginError("cannot write " + path_.string() + ": " + std::strerror(error) + " (writing " +
                        temp_.filename().string() + ")");
    std::error_code error;
    std::filesystem::rename(temp_, path_, error);
    if (error) throw PluginError("cannot rename " + temp_.string() + " to " + path_.string() + ": " + error.message());
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

  std::filesystem::path path_;
  std::filesystem::path temp_;
  FileOutputBuffer buffer_;
  std::ostream out_;
  bool committed_ = false;
};

}  // namespace dictlab

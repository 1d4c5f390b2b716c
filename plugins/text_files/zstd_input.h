#pragma once

// A .zst file as a std::istream: ZSTD_decompressStream into one fixed
// buffer, refilled as the reader consumes it, so memory is the two zstd
// buffers (~256 KiB) however large the decompressed file is.

#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <istream>
#include <memory>
#include <streambuf>
#include <string>
#include <vector>

#include "dictlab/errors.h"

namespace text_files {

class ZstdInputBuffer : public std::streambuf {
 public:
  explicit ZstdInputBuffer(const std::filesystem::path& file)
      : where_(file.string()), in_(file, std::ios::binary), stream_(ZSTD_createDStream()),
        input_(ZSTD_DStreamInSize()), output_(ZSTD_DStreamOutSize()) {
    if (!in_) throw dictlab::PluginError("cannot read " + where_ + ": " + std::strerror(errno));
    if (!stream_) throw dictlab::PluginError(where_ + ": cannot start zstd");
    ZSTD_initDStream(stream_.get());
  }

 protected:
  int_type underflow() override {
    while (gptr() == egptr()) {
      if (!fill()) return traits_type::eof();
    }
    return traits_type::to_int_type(*gptr());
  }

 private:
  struct FreeStream {
    void operator()(ZSTD_DStream* s) const { ZSTD_freeDStream(s); }
  };

  // Decompresses what the next input gives; false at the end of the file.
  // A full output buffer may leave data inside zstd, so it is drained before
  // more input is read.
  bool fill() {
    if (pending_.pos == pending_.size && !output_was_full_) {
      if (!in_) return finish();
      in_.read(input_.data(), static_cast<std::streamsize>(input_.size()));
      if (in_.bad()) throw dictlab::PluginError(where_ + ": read failed: " + std::strerror(errno));
      pending_ = {input_.data(), static_cast<std::size_t>(in_.gcount()), 0};
      if (pending_.size == 0) return finish();
    }
    ZSTD_outBuffer out{output_.data(), output_.size(), 0};
    last_result_ = ZSTD_decompressStream(stream_.get(), &out, &pending_);
    if (ZSTD_isError(last_result_))
      throw dictlab::PluginError(where_ + ": corrupt zstd data: " + ZSTD_getErrorName(last_result_));
    output_was_full_ = out.pos == out.size;
    setg(output_.data(), output_.data(), output_.data() + out.pos);
    return true;
  }

  // At the end of the input a frame must be complete: 0 from the last call.
  bool finish() {
    if (last_result_ != 0) throw dictlab::PluginError(where_ + ": truncated zstd stream");
    return false;
  }

  std::string where_;
  std::ifstream in_;
  std::unique_ptr<ZSTD_DStream, FreeStream> stream_;
  std::vector<char> input_, output_;
  ZSTD_inBuffer pending_{nullptr, 0, 0};
  std::size_t last_result_ = 0;
  bool output_was_full_ = false;
};

// The istream to hand to read_documents_jsonl; owns its buffer. With badbit
// in the exception mask, the istream rethrows the buffer's PluginError
// (corrupt, truncated) instead of swallowing it into a bad stream.
class ZstdInput : public std::istream {
 public:
  explicit ZstdInput(const std::filesystem::path& file) : std::istream(nullptr), buffer_(file) {
    rdbuf(&buffer_);
    exceptions(std::ios::badbit);
  }

 private:
  ZstdInputBuffer buffer_;
};

}  // namespace text_files

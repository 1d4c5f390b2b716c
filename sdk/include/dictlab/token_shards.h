#pragma once

// The token files a tokenizer stage writes and models read:
//
//   tokens.json          {"vocab_size": N, "dtype": "uint16"|"uint32",
//                         "document_separator": id, "splits": {"train": n, "heldout": n}}
//   tokens.train.bin     little-endian ids, documents separated by document_separator
//   tokens.heldout.bin   the same for held-out documents
//   tokenizer.model      the tokenizer (SentencePiece model proto for sentencepiece_bpe)
//
// Needs nlohmann-json (Debian nlohmann-json3-dev).

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "dictlab/errors.h"

namespace dictlab {

struct TokenSetInfo {
  std::int64_t vocab_size = 0;
  std::string dtype = "uint16";
  std::int64_t document_separator = 0;

  static TokenSetInfo read(const std::filesystem::path& dir) {
    std::ifstream in(dir / "tokens.json");
    if (!in) throw PluginError("no tokens.json in " + dir.string() + " (is it a tokenizer stage?)");
    const auto json = nlohmann::json::parse(in, nullptr, false);
    if (json.is_discarded()) throw PluginError((dir / "tokens.json").string() + ": not valid JSON");
    TokenSetInfo info;
    info.vocab_size = json.value("vocab_size", std::int64_t{0});
    info.dtype = json.value("dtype", std::string("uint16"));
    info.document_separator = json.value("document_separator", std::int64_t{0});
    if (info.vocab_size <= 0 || (info.dtype != "uint16" && info.dtype != "uint32"))
      throw PluginError((dir / "tokens.json").string() + ": bad vocab_size or dtype");
    return info;
  }
};

// A read-only memory map of one split; the OS pages it in as needed, so
// shards larger than memory are fine.
class TokenShard {
 public:
  TokenShard(const std::filesystem::path& file, const std::string& dtype)
      : width_(dtype == "uint32" ? 4 : 2) {
    fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw PluginError("cannot open " + file.string());
    struct stat st {};
    ::fstat(fd_, &st);
    bytes_ = static_cast<std::size_t>(st.st_size);
    if (bytes_ % width_ != 0) throw PluginError(file.string() + ": size is not a whole number of tokens (truncated?)");
    if (bytes_ > 0) {
      data_ = ::mmap(nullptr, bytes_, PROT_READ, MAP_PRIVATE, fd_, 0);
      if (data_ == MAP_FAILED) throw PluginError("cannot map " + file.string());
    }
  }
  // One split ("train" or "heldout") of a tokenizer stage's folder, refused
  // unless it holds a whole context and the token after it.
  TokenShard(const std::filesystem::path& tokens_dir, const std::string& split, std::int64_t context_length)
      : TokenShard(tokens_dir / ("tokens." + split + ".bin"), TokenSetInfo::read(tokens_dir).dtype) {
    if (size() <= context_length)
      throw PluginError("the " + split + " split in " + tokens_dir.string() + " has " + std::to_string(size()) +
                        " tokens, too few for one context of " + std::to_string(context_length));
  }
  TokenShard(const TokenShard&) = delete;
  TokenShard& operator=(const TokenShard&) = delete;
  ~TokenShard() {
    if (data_ && data_ != MAP_FAILED) ::munmap(data_, bytes_);
    if (fd_ >= 0) ::close(fd_);
  }

  std::int64_t size() const { return static_cast<std::int64_t>(bytes_ / width_); }
  std::uint32_t operator[](std::int64_t i) const {
    if (width_ == 2) return static_cast<const std::uint16_t*>(data_)[i];
    return static_cast<const std::uint32_t*>(data_)[i];
  }

 private:
  int fd_ = -1;
  void* data_ = nullptr;
  std::size_t bytes_ = 0;
  std::size_t width_;
};

}  // namespace dictlab

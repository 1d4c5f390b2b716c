#pragma once

// The token files a tokenizer stage writes and models read:
//
//   tokens.json          {"vocab_size": N, "dtype": "uint16"|"uint32",
//                         "document_separator": id, "splits": {"train": n, "heldout": n}}
//   tokens.train.bin     little-endian ids, documents separated by document_separator
//   tokens.heldout.bin   the same for held-out documents
//   tokenizer.model      the tokenizer (SentencePiece model proto for sentencepiece_bpe)
//   dictlab_tokenizer.json, tokenizer.json, tokenizer_config.json
//                        its vocabulary for dictlab and for Hugging Face (dictlab/tokenizer_files.h)
//
// Needs nlohmann-json (Debian nlohmann-json3-dev).

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "dictlab/errors.h"

namespace dictlab {

namespace token_shards_detail {

inline std::int64_t read_integer(const nlohmann::json& json, const char* key, std::int64_t fallback,
                                 const std::string& file) {
  const auto it = json.find(key);
  if (it == json.end()) return fallback;
  if (!it->is_number_integer() || (it->is_number_unsigned() && it->get<std::uint64_t>() > std::uint64_t(INT64_MAX)))
    throw PluginError(file + ": \"" + key + "\" is " + it->dump() + ", not an integer");
  return it->get<std::int64_t>();
}

// An open file descriptor, closed however the constructor that opened it ends.
struct FileHandle {
  int fd = -1;
  FileHandle() = default;
  FileHandle(const FileHandle&) = delete;
  FileHandle& operator=(const FileHandle&) = delete;
  ~FileHandle() {
    if (fd >= 0) ::close(fd);
  }
};

// A read-only mapping, unmapped however the constructor that made it ends.
struct Mapping {
  void* data = nullptr;
  std::size_t bytes = 0;
  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (data) ::munmap(data, bytes);
  }
};

// The first position holding an id >= vocab_size, or -1. The max pass
// vectorizes, so the common clean file costs one read at memory speed.
template <typename Id>
std::int64_t first_id_out_of_range(const Id* ids, std::size_t count, std::int64_t vocab_size) {
  Id largest = 0;
  for (std::size_t i = 0; i < count; ++i) largest = ids[i] > largest ? ids[i] : largest;
  if (static_cast<std::int64_t>(largest) < vocab_size) return -1;
  for (std::size_t i = 0; i < count; ++i)
    if (static_cast<std::int64_t>(ids[i]) >= vocab_size) return static_cast<std::int64_t>(i);
  return -1;
}

}  // namespace token_shards_detail

struct TokenSetInfo {
  std::int64_t vocab_size = 0;
  std::string dtype = "uint16";
  std::int64_t document_separator = 0;

  static TokenSetInfo read(const std::filesystem::path& dir) {
    const std::string file = (dir / "tokens.json").string();
    std::ifstream in(dir / "tokens.json");
    if (!in) throw PluginError("no tokens.json in " + dir.string() + " (is it a tokenizer stage?)");
    const auto json = nlohmann::json::parse(in, nullptr, false);
    if (json.is_discarded() || !json.is_object()) throw PluginError(file + ": not a JSON object");
    TokenSetInfo info;
    info.vocab_size = token_shards_detail::read_integer(json, "vocab_size", 0, file);
    const auto dtype = json.find("dtype");
    if (dtype != json.end() && !dtype->is_string()) throw PluginError(file + ": \"dtype\" is not a string");
    if (dtype != json.end()) info.dtype = dtype->get<std::string>();
    info.document_separator = token_shards_detail::read_integer(json, "document_separator", 0, file);
    // Ids travel as int32 into models, so a larger vocabulary cannot be used.
    if (info.vocab_size <= 0 || info.vocab_size > INT32_MAX)
      throw PluginError(file + ": vocab_size " + std::to_string(info.vocab_size) + " is not between 1 and 2^31-1");
    if (info.dtype != "uint16" && info.dtype != "uint32")
      throw PluginError(file + ": dtype '" + info.dtype + "' is not uint16 or uint32");
    if (info.document_separator < 0 || info.document_separator >= info.vocab_size)
      throw PluginError(file + ": document_separator " + std::to_string(info.document_separator) +
                        " is not below vocab_size " + std::to_string(info.vocab_size));
    return info;
  }
};

// A read-only memory map of one split; the OS pages it in as needed, so
// shards larger than memory are fine. Every id is checked against the token
// set's vocabulary when the file is opened, so readers can index embeddings
// and count tables by id without checks of their own.
class TokenShard {
 public:
  TokenShard(const std::filesystem::path& file, const TokenSetInfo& info)
      : width_(info.dtype == "uint32" ? 4 : 2), vocab_size_(info.vocab_size) {
    file_.fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (file_.fd < 0) throw PluginError("cannot open " + file.string() + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(file_.fd, &st) != 0) throw PluginError("cannot stat " + file.string() + ": " + std::strerror(errno));
    map_.bytes = static_cast<std::size_t>(st.st_size);
    if (map_.bytes % width_ != 0)
      throw PluginError(file.string() + ": size is not a whole number of tokens (truncated?)");
    if (map_.bytes > 0) {
      void* data = ::mmap(nullptr, map_.bytes, PROT_READ, MAP_PRIVATE, file_.fd, 0);
      if (data == MAP_FAILED) throw PluginError("cannot map " + file.string() + ": " + std::strerror(errno));
      map_.data = data;
    }
    check_ids(file);
  }
  // A split file of a tokenizer stage, with the vocabulary from the
  // tokens.json beside it (`dtype` as that file says).
  TokenShard(const std::filesystem::path& file, const std::string& dtype)
      : TokenShard(file, with_dtype(TokenSetInfo::read(file.parent_path()), dtype)) {}
  // One split ("train" or "heldout") of a tokenizer stage's folder, refused
  // unless it holds a whole context and the token after it.
  TokenShard(const std::filesystem::path& tokens_dir, const std::string& split, std::int64_t context_length)
      : TokenShard(tokens_dir / ("tokens." + split + ".bin"), TokenSetInfo::read(tokens_dir)) {
    if (size() <= context_length)
      throw PluginError("the " + split + " split in " + tokens_dir.string() + " has " + std::to_string(size()) +
                        " tokens, too few for one context of " + std::to_string(context_length));
  }
  TokenShard(const TokenShard&) = delete;
  TokenShard& operator=(const TokenShard&) = delete;

  std::int64_t size() const { return static_cast<std::int64_t>(map_.bytes / width_); }
  // Every id in the shard is below this.
  std::int64_t vocab_size() const { return vocab_size_; }
  std::uint32_t operator[](std::int64_t i) const {
    if (width_ == 2) return static_cast<const std::uint16_t*>(map_.data)[i];
    return static_cast<const std::uint32_t*>(map_.data)[i];
  }

 private:
  static TokenSetInfo with_dtype(TokenSetInfo info, const std::string& dtype) {
    info.dtype = dtype;
    return info;
  }

  void check_ids(const std::filesystem::path& file) const {
    namespace detail = token_shards_detail;
    const std::size_t count = map_.bytes / width_;
    const std::int64_t bad =
        width_ == 2 ? detail::first_id_out_of_range(static_cast<const std::uint16_t*>(map_.data), count, vocab_size_)
                    : detail::first_id_out_of_range(static_cast<const std::uint32_t*>(map_.data), count, vocab_size_);
    if (bad >= 0)
      throw PluginError(file.string() + ": token " + std::to_string(bad) + " (byte offset " +
                        std::to_string(bad * static_cast<std::int64_t>(width_)) + ") has id " +
                        std::to_string((*this)[bad]) + ", not below the vocabulary size " +
                        std::to_string(vocab_size_) + " in tokens.json");
  }

  token_shards_detail::FileHandle file_;
  token_shards_detail::Mapping map_;
  std::size_t width_;
  std::int64_t vocab_size_;
};

}  // namespace dictlab

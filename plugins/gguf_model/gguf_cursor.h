#pragma once

// Internal to the GGUF reader: bounds-checked little-endian reads from the
// mapped bytes, with errors that say where and what.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include <dictlab/errors.h>

namespace gguf_model::detail {

static_assert(std::endian::native == std::endian::little,
              "GGUF is little-endian and the reader copies its numbers as they are");

class GgufCursor {
 public:
  GgufCursor(std::span<const std::byte> bytes, std::string file_name)
      : bytes_(bytes), file_(std::move(file_name)) {}

  std::uint64_t offset() const { return offset_; }
  std::uint64_t remaining() const { return bytes_.size() - offset_; }
  const std::string& file_name() const { return file_; }

  // What is being read ("metadata key 'general.name'"), for error messages;
  // set once per entry so the hot reads do not build strings.
  void set_context(std::string context) { context_ = std::move(context); }

  template <typename T>
  T read(std::string_view what) {
    require(sizeof(T), what);
    T value;
    std::memcpy(&value, bytes_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return value;
  }

  // A GGUF string: uint64 length, then that many bytes (not NUL-terminated).
  std::string read_string(std::string_view what) {
    const std::uint64_t start = offset_;
    const auto length = read<std::uint64_t>(what);
    if (length > remaining())
      fail_at(start, std::string(what) + " claims " + std::to_string(length) + " bytes but only " +
                         std::to_string(remaining()) + " remain in the file");
    std::string text(reinterpret_cast<const char*>(bytes_.data() + offset_), length);
    offset_ += length;
    return text;
  }

  void seek(std::uint64_t offset) { offset_ = offset; }

  // "<file>: byte <offset>: <message> (<context>)"
  [[noreturn]] void fail_at(std::uint64_t offset, const std::string& message) const {
    std::string text = file_ + ": byte " + std::to_string(offset) + ": " + message;
    if (!context_.empty()) text += " (" + context_ + ")";
    throw dictlab::PluginError(text);
  }

 private:
  void require(std::uint64_t n, std::string_view what) const {
    if (n > remaining())
      fail_at(offset_, "file ends while reading " + std::string(what) + " (needs " + std::to_string(n) +
                           " bytes, " + std::to_string(remaining()) + " left)");
  }

  std::span<const std::byte> bytes_;
  std::string file_;
  std::string context_;
  std::uint64_t offset_ = 0;
};

}  // namespace gguf_model::detail

#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ggml_types.h"
#include "gguf_parse.h"
#include "gguf_tensor_info.h"
#include "gguf_value.h"
#include "mapped_file.h"

namespace gguf_model {

// A GGUF v2/v3 file, mapped read-only and parsed on construction: header,
// metadata, tensor table. Every count, length, dim and tensor extent is
// checked against the file, so a truncated or corrupt file is a PluginError
// naming the file, the byte offset and what was being read, never a crash.
// Tensor data stays in the mapping; data() hands out views into it.
class GgufFile {
 public:
  explicit GgufFile(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  std::uint32_t version() const { return contents_.version; }
  std::uint64_t alignment() const { return contents_.alignment; }
  std::uint64_t data_offset() const { return contents_.data_offset; }  // data section start in the file
  std::uint64_t file_size() const { return mapping_.bytes().size(); }

  // ---- metadata ----
  const std::vector<GgufMetadataEntry>& metadata() const { return contents_.metadata; }  // file order
  const GgufValue* find(std::string_view key) const;  // nullptr when absent

  // Typed getters. Each throws PluginError "<file>: has no metadata key 'k'"
  // or "<file>: metadata key 'k' is <type>, expected <type>".
  const std::string& get_string(std::string_view key) const;
  std::uint64_t get_uint(std::string_view key) const;  // any integer type, >= 0
  std::int64_t get_int(std::string_view key) const;    // any integer type that fits int64
  double get_float(std::string_view key) const;        // float32 or float64
  bool get_bool(std::string_view key) const;
  std::vector<std::string> get_strings(std::string_view key) const;  // array of string
  std::vector<float> get_floats(std::string_view key) const;         // array of float32/64
  std::vector<std::int64_t> get_ints(std::string_view key) const;    // array of any integer

  // The same, nullopt when the key is absent (a present key of the wrong
  // type still throws: that is a broken file, not a missing option).
  std::optional<std::string> try_string(std::string_view key) const;
  std::optional<std::uint64_t> try_uint(std::string_view key) const;
  std::optional<double> try_float(std::string_view key) const;
  std::optional<bool> try_bool(std::string_view key) const;

  // ---- tensors ----
  const std::vector<GgufTensorInfo>& tensors() const { return contents_.tensors; }  // file order
  const GgufTensorInfo* find_tensor(std::string_view name) const;        // nullptr when absent
  // Throws "<file>: has no tensor 'name' (it has N tensors)".
  const GgufTensorInfo& tensor(std::string_view name) const;
  // The tensor's bytes in the mapping. Throws PluginError naming the tensor
  // and its type when the type is one this build cannot size.
  std::span<const std::byte> data(const GgufTensorInfo& info) const;

 private:
  const GgufValue& require(std::string_view key) const;
  [[noreturn]] void wrong_type(std::string_view key, const GgufValue& value,
                               std::string_view expected) const;

  std::filesystem::path path_;
  MappedFile mapping_;
  detail::GgufContents contents_;
};

}  // namespace gguf_model

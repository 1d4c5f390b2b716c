#pragma once

// Internal to GgufFile: the parse of a whole mapped GGUF file.

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "gguf_tensor_info.h"
#include "gguf_value.h"

namespace gguf_model {

struct GgufMetadataEntry {
  std::string key;
  GgufValue value;
};

namespace detail {

struct GgufContents {
  std::uint32_t version = 0;
  std::uint64_t alignment = 32;
  std::uint64_t data_offset = 0;
  std::vector<GgufMetadataEntry> metadata;
  std::map<std::string, std::size_t, std::less<>> metadata_index;
  std::vector<GgufTensorInfo> tensors;
  std::map<std::string, std::size_t, std::less<>> tensor_index;
};

// Throws dictlab::PluginError "<file_name>: byte <n>: ..." for anything that
// is not a well-formed GGUF v2/v3 file whose tensors lie inside it.
GgufContents parse_gguf(std::span<const std::byte> bytes, const std::string& file_name);

}  // namespace detail
}  // namespace gguf_model

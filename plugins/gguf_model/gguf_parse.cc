#include "gguf_parse.h"

#include <limits>
#include <utility>

#include "gguf_cursor.h"

namespace gguf_model::detail {
namespace {

constexpr std::uint32_t kMagic = 0x46554747;  // "GGUF" read as little-endian uint32
constexpr std::uint64_t kMaxDims = 4;         // GGML_MAX_DIMS
constexpr int kMaxArrayNesting = 8;           // deeper is no model's metadata, only a hostile file
// Each item becomes a GgufValue (48 bytes), so a long array of uint8 in a big
// file could ask for many times the file's size. The largest real arrays are
// vocabularies and merge lists of a few hundred thousand entries.
constexpr std::uint64_t kMaxArrayItems = std::uint64_t{1} << 24;

// The fewest bytes one value of `type` can take, so a count can be checked
// against the bytes left before anything is allocated for it.
std::uint64_t min_value_bytes(GgufValueType type) {
  switch (type) {
    case GgufValueType::UINT8:
    case GgufValueType::INT8:
    case GgufValueType::BOOL:
      return 1;
    case GgufValueType::UINT16:
    case GgufValueType::INT16:
      return 2;
    case GgufValueType::UINT32:
    case GgufValueType::INT32:
    case GgufValueType::FLOAT32:
      return 4;
    case GgufValueType::STRING:  // its uint64 length
    case GgufValueType::UINT64:
    case GgufValueType::INT64:
    case GgufValueType::FLOAT64:
      return 8;
    case GgufValueType::ARRAY:  // element type + length
      return 12;
  }
  return 1;
}

bool is_known(GgufValueType type) { return static_cast<std::uint32_t>(type) <= 12; }

GgufValue read_value(GgufCursor& cursor, GgufValueType type, int depth);

GgufValue read_array(GgufCursor& cursor, int depth) {
  const std::uint64_t start = cursor.offset();
  const auto element_type = static_cast<GgufValueType>(cursor.read<std::uint32_t>("array element type"));
  if (!is_known(element_type))
    cursor.fail_at(start, "unknown array element " + value_type_name(element_type));
  if (element_type == GgufValueType::ARRAY && depth + 1 >= kMaxArrayNesting)
    cursor.fail_at(start, "arrays nested more than " + std::to_string(kMaxArrayNesting) + " deep");
  const auto length = cursor.read<std::uint64_t>("array length");
  if (length > cursor.remaining() / min_value_bytes(element_type))
    cursor.fail_at(start + 4, "array of " + value_type_name(element_type) + " claims " +
                                  std::to_string(length) + " items but only " +
                                  std::to_string(cursor.remaining()) + " bytes remain in the file");
  if (length > kMaxArrayItems)
    cursor.fail_at(start + 4, "array of " + std::to_string(length) + " items is longer than the " +
                                  std::to_string(kMaxArrayItems) + " this reader accepts");
  std::vector<GgufValue> items;
  items.reserve(length);
  for (std::uint64_t i = 0; i < length; ++i) items.push_back(read_value(cursor, element_type, depth + 1));
  GgufValue value{.type = GgufValueType::ARRAY, .element_type = element_type, .value = std::move(items)};
  return value;
}

GgufValue read_value(GgufCursor& cursor, GgufValueType type, int depth) {
  GgufValue value{.type = type, .element_type = type, .value = {}};
  switch (type) {
    case GgufValueType::UINT8: value.value = std::uint64_t{cursor.read<std::uint8_t>("uint8 value")}; break;
    case GgufValueType::INT8: value.value = std::int64_t{cursor.read<std::int8_t>("int8 value")}; break;
    case GgufValueType::UINT16: value.value = std::uint64_t{cursor.read<std::uint16_t>("uint16 value")}; break;
    case GgufValueType::INT16: value.value = std::int64_t{cursor.read<std::int16_t>("int16 value")}; break;
    case GgufValueType::UINT32: value.value = std::uint64_t{cursor.read<std::uint32_t>("uint32 value")}; break;
    case GgufValueType::INT32: value.value = std::int64_t{cursor.read<std::int32_t>("int32 value")}; break;
    case GgufValueType::UINT64: value.value = cursor.read<std::uint64_t>("uint64 value"); break;
    case GgufValueType::INT64: value.value = cursor.read<std::int64_t>("int64 value"); break;
    case GgufValueType::FLOAT32: value.value = double{cursor.read<float>("float32 value")}; break;
    case GgufValueType::FLOAT64: value.value = cursor.read<double>("float64 value"); break;
    case GgufValueType::BOOL: {
      const auto byte = cursor.read<std::uint8_t>("bool value");
      if (byte > 1) cursor.fail_at(cursor.offset() - 1, "bool byte " + std::to_string(byte) + " is neither 0 nor 1");
      value.value = byte == 1;
      break;
    }
    case GgufValueType::STRING: value.value = cursor.read_string("string value"); break;
    case GgufValueType::ARRAY: return read_array(cursor, depth);
  }
  return value;
}

void read_header(GgufCursor& cursor, GgufContents& contents, std::uint64_t& tensor_count,
                 std::uint64_t& kv_count) {
  cursor.set_context("header");
  if (cursor.read<std::uint32_t>("magic") != kMagic) cursor.fail_at(0, "not a GGUF file (no \"GGUF\" magic)");
  contents.version = cursor.read<std::uint32_t>("version");
  if (contents.version != 2 && contents.version != 3)
    cursor.fail_at(4, "GGUF version " + std::to_string(contents.version) +
                          " is not supported (only 2 and 3; big-endian files are not either)");
  tensor_count = cursor.read<std::uint64_t>("tensor count");
  kv_count = cursor.read<std::uint64_t>("metadata count");
  // A tensor entry takes at least 8+4+4+8 bytes, a metadata entry 8+4+1.
  if (tensor_count > cursor.remaining() / 24)
    cursor.fail_at(8, "tensor count " + std::to_string(tensor_count) + " cannot fit in the " +
                          std::to_string(cursor.remaining()) + " bytes after the header");
  if (kv_count > cursor.remaining() / 13)
    cursor.fail_at(16, "metadata count " + std::to_string(kv_count) + " cannot fit in the " +
                           std::to_string(cursor.remaining()) + " bytes after the header");
}

void read_metadata(GgufCursor& cursor, GgufContents& contents, std::uint64_t count) {
  contents.metadata.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::uint64_t start = cursor.offset();
    cursor.set_context("metadata entry " + std::to_string(i));
    std::string key = cursor.read_string("key");
    cursor.set_context("metadata key '" + key + "'");
    const auto type = static_cast<GgufValueType>(cursor.read<std::uint32_t>("value type"));
    if (!is_known(type)) cursor.fail_at(cursor.offset() - 4, "unknown " + value_type_name(type));
    GgufValue value = read_value(cursor, type, 0);
    if (!contents.metadata_index.emplace(key, contents.metadata.size()).second)
      cursor.fail_at(start, "duplicate metadata key '" + key + "'");
    contents.metadata.push_back({std::move(key), std::move(value)});
  }
}

GgufTensorInfo read_tensor_info(GgufCursor& cursor) {
  GgufTensorInfo info;
  info.entry_offset = cursor.offset();
  info.name = cursor.read_string("tensor name");
  cursor.set_context("tensor '" + info.name + "'");
  const std::uint64_t dims_at = cursor.offset();
  const auto n_dims = cursor.read<std::uint32_t>("dimension count");
  if (n_dims > kMaxDims)
    cursor.fail_at(dims_at, std::to_string(n_dims) + " dimensions, more than ggml's " + std::to_string(kMaxDims));
  info.n_elements = 1;
  for (std::uint32_t d = 0; d < n_dims; ++d) {
    const auto dim = cursor.read<std::uint64_t>("dimension");
    const auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (dim > max || (dim != 0 && static_cast<std::uint64_t>(info.n_elements) > max / dim))
      cursor.fail_at(cursor.offset() - 8, "dimension " + std::to_string(dim) +
                                              " makes the element count overflow int64");
    info.dims.push_back(static_cast<std::int64_t>(dim));
    info.n_elements *= static_cast<std::int64_t>(dim);
  }
  info.type = static_cast<GgmlType>(cursor.read<std::uint32_t>("ggml type"));
  info.offset = cursor.read<std::uint64_t>("data offset");
  return info;
}

void read_tensor_table(GgufCursor& cursor, GgufContents& contents, std::uint64_t count) {
  contents.tensors.reserve(count);
  for (std::uint64_t i = 0; i < count; ++i) {
    cursor.set_context("tensor entry " + std::to_string(i));
    GgufTensorInfo info = read_tensor_info(cursor);
    if (!contents.tensor_index.emplace(info.name, contents.tensors.size()).second)
      cursor.fail_at(info.entry_offset, "duplicate tensor name '" + info.name + "'");
    contents.tensors.push_back(std::move(info));
  }
}

void apply_alignment(GgufCursor& cursor, GgufContents& contents) {
  const auto found = contents.metadata_index.find(std::string_view("general.alignment"));
  if (found != contents.metadata_index.end()) {
    const GgufValue& value = contents.metadata[found->second].value;
    cursor.set_context("metadata key 'general.alignment'");
    // gguf-py and llama.cpp both insist on uint32 here.
    if (value.type != GgufValueType::UINT32)
      cursor.fail_at(0, "general.alignment is " + value.describe() + ", expected uint32");
    const auto alignment = std::get<std::uint64_t>(value.value);
    if (alignment == 0 || (alignment & (alignment - 1)) != 0)
      cursor.fail_at(0, "general.alignment " + std::to_string(alignment) + " is not a power of two");
    contents.alignment = alignment;
  }
  const std::uint64_t end_of_table = cursor.offset();
  contents.data_offset = (end_of_table + contents.alignment - 1) / contents.alignment * contents.alignment;
}

// Each tensor of a known type must be aligned and lie wholly inside the file;
// unknown types cannot be sized, so only their alignment is checked here.
void check_tensor_extents(GgufCursor& cursor, const GgufContents& contents, std::uint64_t file_size) {
  const std::uint64_t data_bytes = file_size > contents.data_offset ? file_size - contents.data_offset : 0;
  for (const GgufTensorInfo& info : contents.tensors) {
    cursor.set_context("tensor '" + info.name + "'");
    if (info.offset % contents.alignment != 0)
      cursor.fail_at(info.entry_offset, "data offset " + std::to_string(info.offset) +
                                            " is not a multiple of the alignment " +
                                            std::to_string(contents.alignment));
    const auto layout = block_layout(info.type);
    if (!layout) continue;
    const std::int64_t row = info.dims.empty() ? 1 : info.dims[0];
    if (row % layout->block_size != 0)
      cursor.fail_at(info.entry_offset, "row length " + std::to_string(row) + " is not a multiple of " +
                                            type_name(info.type) + "'s block size " +
                                            std::to_string(layout->block_size));
    std::uint64_t bytes = 0;
    try {
      bytes = static_cast<std::uint64_t>(bytes_for(info.type, info.n_elements));
    } catch (const dictlab::PluginError& error) {
      cursor.fail_at(info.entry_offset, error.what());
    }
    if (info.offset > data_bytes || bytes > data_bytes - info.offset)
      cursor.fail_at(info.entry_offset, type_name(info.type) + " data at data offset " + std::to_string(info.offset) +
                                            " (file byte " + std::to_string(contents.data_offset + info.offset) +
                                            ") of " + std::to_string(bytes) + " bytes runs past the end of the " +
                                            std::to_string(file_size) + "-byte file");
  }
}

}  // namespace

GgufContents parse_gguf(std::span<const std::byte> bytes, const std::string& file_name) {
  GgufCursor cursor(bytes, file_name);
  GgufContents contents;
  std::uint64_t tensor_count = 0;
  std::uint64_t kv_count = 0;
  read_header(cursor, contents, tensor_count, kv_count);
  read_metadata(cursor, contents, kv_count);
  read_tensor_table(cursor, contents, tensor_count);
  apply_alignment(cursor, contents);
  check_tensor_extents(cursor, contents, bytes.size());
  return contents;
}

}  // namespace gguf_model::detail

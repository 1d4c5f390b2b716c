#include "gguf_file.h"

#include <limits>

#include <dictlab/errors.h>

namespace gguf_model {

GgufFile::GgufFile(const std::filesystem::path& path)
    : path_(path), mapping_(path), contents_(detail::parse_gguf(mapping_.bytes(), path.string())) {}

// ---- metadata ----

const GgufValue* GgufFile::find(std::string_view key) const {
  const auto found = contents_.metadata_index.find(key);
  return found == contents_.metadata_index.end() ? nullptr : &contents_.metadata[found->second].value;
}

const GgufValue& GgufFile::require(std::string_view key) const {
  const GgufValue* value = find(key);
  if (!value) throw dictlab::PluginError(path_.string() + ": has no metadata key '" + std::string(key) + "'");
  return *value;
}

void GgufFile::wrong_type(std::string_view key, const GgufValue& value, std::string_view expected) const {
  throw dictlab::PluginError(path_.string() + ": metadata key '" + std::string(key) + "' is " + value.describe() +
                             ", expected " + std::string(expected));
}

namespace {

// Integers are stored widened: unsigned types as uint64, signed as int64.
std::optional<std::uint64_t> as_uint(const GgufValue& value) {
  if (const auto* u = std::get_if<std::uint64_t>(&value.value)) return *u;
  if (const auto* i = std::get_if<std::int64_t>(&value.value); i && *i >= 0) return static_cast<std::uint64_t>(*i);
  return std::nullopt;
}

std::optional<std::int64_t> as_int(const GgufValue& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value.value)) return *i;
  if (const auto* u = std::get_if<std::uint64_t>(&value.value);
      u && *u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return static_cast<std::int64_t>(*u);
  return std::nullopt;
}

const std::vector<GgufValue>& items(const GgufValue& value) { return std::get<std::vector<GgufValue>>(value.value); }

}  // namespace

const std::string& GgufFile::get_string(std::string_view key) const {
  const GgufValue& value = require(key);
  if (value.type != GgufValueType::STRING) wrong_type(key, value, "string");
  return std::get<std::string>(value.value);
}

std::uint64_t GgufFile::get_uint(std::string_view key) const {
  const GgufValue& value = require(key);
  if (!value.is_integer()) wrong_type(key, value, "an integer");
  const auto result = as_uint(value);
  if (!result)
    throw dictlab::PluginError(path_.string() + ": metadata key '" + std::string(key) + "' is " +
                               std::to_string(std::get<std::int64_t>(value.value)) + ", expected >= 0");
  return *result;
}

std::int64_t GgufFile::get_int(std::string_view key) const {
  const GgufValue& value = require(key);
  if (!value.is_integer()) wrong_type(key, value, "an integer");
  const auto result = as_int(value);
  if (!result)
    throw dictlab::PluginError(path_.string() + ": metadata key '" + std::string(key) + "' is " +
                               std::to_string(std::get<std::uint64_t>(value.value)) + ", too large for int64");
  return *result;
}

double GgufFile::get_float(std::string_view key) const {
  const GgufValue& value = require(key);
  if (!value.is_float()) wrong_type(key, value, "float32 or float64");
  return std::get<double>(value.value);
}

bool GgufFile::get_bool(std::string_view key) const {
  const GgufValue& value = require(key);
  if (value.type != GgufValueType::BOOL) wrong_type(key, value, "bool");
  return std::get<bool>(value.value);
}

std::vector<std::string> GgufFile::get_strings(std::string_view key) const {
  const GgufValue& value = require(key);
  if (!value.is_array() || value.element_type != GgufValueType::STRING) wrong_type(key, value, "array of string");
  std::vector<std::string> result;
  result.reserve(items(value).size());
  for (const GgufValue& item : items(value)) result.push_back(std::get<std::string>(item.value));
  return result;
}

std::vector<float> GgufFile::get_floats(std::string_view key) const {
  const GgufValue& value = require(key);
  if (!value.is_array() || (value.element_type != GgufValueType::FLOAT32 &&
                            value.element_type != GgufValueType::FLOAT64))
    wrong_type(key, value, "array of float32 or float64");
  std::vector<float> result;
  result.reserve(items(value).size());
  for (const GgufValue& item : items(value)) result.push_back(static_cast<float>(std::get<double>(item.value)));
  return result;
}

std::vector<std::int64_t> GgufFile::get_ints(std::string_view key) const {
  const GgufValue& value = require(key);
  if (!value.is_array() || !is_integer_type(value.element_type)) wrong_type(key, value, "array of an integer type");
  std::vector<std::int64_t> result;
  result.reserve(items(value).size());
  for (std::size_t i = 0; i < items(value).size(); ++i) {
    const auto item = as_int(items(value)[i]);
    if (!item)
      throw dictlab::PluginError(path_.string() + ": metadata key '" + std::string(key) + "' item " +
                                 std::to_string(i) + " is too large for int64");
    result.push_back(*item);
  }
  return result;
}

std::optional<std::string> GgufFile::try_string(std::string_view key) const {
  if (!find(key)) return std::nullopt;
  return get_string(key);
}

std::optional<std::uint64_t> GgufFile::try_uint(std::string_view key) const {
  if (!find(key)) return std::nullopt;
  return get_uint(key);
}

std::optional<double> GgufFile::try_float(std::string_view key) const {
  if (!find(key)) return std::nullopt;
  return get_float(key);
}

std::optional<bool> GgufFile::try_bool(std::string_view key) const {
  if (!find(key)) return std::nullopt;
  return get_bool(key);
}

// ---- tensors ----

const GgufTensorInfo* GgufFile::find_tensor(std::string_view name) const {
  const auto found = contents_.tensor_index.find(name);
  return found == contents_.tensor_index.end() ? nullptr : &contents_.tensors[found->second];
}

const GgufTensorInfo& GgufFile::tensor(std::string_view name) const {
  const GgufTensorInfo* info = find_tensor(name);
  if (!info)
    throw dictlab::PluginError(path_.string() + ": has no tensor '" + std::string(name) + "' (it has " +
                               std::to_string(contents_.tensors.size()) + " tensors)");
  return *info;
}

std::span<const std::byte> GgufFile::data(const GgufTensorInfo& info) const {
  if (!block_layout(info.type))
    throw dictlab::PluginError(path_.string() + ": tensor '" + info.name + "' has ggml type " +
                               std::to_string(static_cast<std::uint32_t>(info.type)) +
                               ", which this build does not know");
  // The parse checked the extent of every tensor of a known type.
  const auto bytes = static_cast<std::size_t>(bytes_for(info.type, info.n_elements));
  if (bytes == 0) return {};  // an empty tensor's offset may point past a file with no data section
  return mapping_.bytes().subspan(contents_.data_offset + info.offset, bytes);
}

}  // namespace gguf_model

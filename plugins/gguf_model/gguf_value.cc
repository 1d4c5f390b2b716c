#include "gguf_value.h"

#include <array>

namespace gguf_model {

std::string value_type_name(GgufValueType type) {
  static constexpr std::array<const char*, 13> kNames{
      "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
      "bool",  "string", "array", "uint64", "int64", "float64"};
  const auto id = static_cast<std::uint32_t>(type);
  if (id < kNames.size()) return kNames[id];
  return "value type " + std::to_string(id);
}

bool is_integer_type(GgufValueType type) {
  switch (type) {
    case GgufValueType::UINT8:
    case GgufValueType::INT8:
    case GgufValueType::UINT16:
    case GgufValueType::INT16:
    case GgufValueType::UINT32:
    case GgufValueType::INT32:
    case GgufValueType::UINT64:
    case GgufValueType::INT64:
      return true;
    default:
      return false;
  }
}

std::string GgufValue::describe() const {
  if (!is_array()) return value_type_name(type);
  return "array of " + value_type_name(element_type);
}

}  // namespace gguf_model

#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace gguf_model {

// The value types of GGUF metadata, with the ids files store (gguf-py
// constants.py, GGUFValueType).
enum class GgufValueType : std::uint32_t {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
};

// "uint32", "string", "array"; "value type 13" for an id outside the list.
std::string value_type_name(GgufValueType type);

// UINT8..INT64, signed or not.
bool is_integer_type(GgufValueType type);

// One metadata value. Integers are widened to 64 bits and floats to double,
// with the stored type kept beside them so a round trip can tell uint8 from
// int64. Arrays hold their items as values of `element_type` (nested arrays
// are legal GGUF, so an item may itself be an array).
struct GgufValue {
  using Storage =
      std::variant<std::uint64_t, std::int64_t, double, bool, std::string, std::vector<GgufValue>>;

  GgufValueType type = GgufValueType::UINT8;
  GgufValueType element_type = GgufValueType::UINT8;  // meaningful for ARRAY only
  Storage value;

  bool is_array() const { return type == GgufValueType::ARRAY; }
  bool is_integer() const { return is_integer_type(type); }
  bool is_float() const { return type == GgufValueType::FLOAT32 || type == GgufValueType::FLOAT64; }

  // "uint32", "string", "array of string", "array of array".
  std::string describe() const;
};

}  // namespace gguf_model

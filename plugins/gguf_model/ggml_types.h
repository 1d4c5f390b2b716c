#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace gguf_model {

// ggml's tensor element types, with the numeric ids GGUF files store
// (gguf-py constants.py, GGMLQuantizationType). Ids 4 and 5 (the removed
// Q4_2/Q4_3) and anything newer than this list are unknown to us; a file may
// still hold them, so the id is kept as read and checked only when used.
enum class GgmlType : std::uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ2_XXS = 16,
  IQ2_XS = 17,
  IQ3_XXS = 18,
  IQ1_S = 19,
  IQ4_NL = 20,
  IQ3_S = 21,
  IQ2_S = 22,
  IQ4_XS = 23,
  I8 = 24,
  I16 = 25,
  I32 = 26,
  I64 = 27,
  F64 = 28,
  IQ1_M = 29,
  BF16 = 30,
  TQ1_0 = 34,
  TQ2_0 = 35,
  MXFP4 = 39,
  NVFP4 = 40,
  Q1_0 = 41,
};

// How a type packs its elements: blocks of `block_size` elements taking
// `type_size` bytes each (1 and sizeof(element) for the plain types).
struct GgmlBlockLayout {
  std::int64_t block_size = 0;
  std::int64_t type_size = 0;
};

// The layout of a known type, nullopt for an id this build does not know.
std::optional<GgmlBlockLayout> block_layout(GgmlType type);

// "Q4_K", or "unknown type 77" for an id this build does not know.
std::string type_name(GgmlType type);

// The bytes `n_elements` of `type` take. Throws PluginError for an unknown
// type, a count that is not a whole number of blocks, or one whose byte size
// does not fit in int64.
std::int64_t bytes_for(GgmlType type, std::int64_t n_elements);

}  // namespace gguf_model

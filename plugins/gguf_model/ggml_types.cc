#include "ggml_types.h"

#include <array>
#include <limits>

#include <dictlab/errors.h>

namespace gguf_model {
namespace {

struct TypeTraits {
  GgmlType type;
  const char* name;
  GgmlBlockLayout layout;
};

constexpr std::int64_t kQK_K = 256;

// gguf-py constants.py GGML_QUANT_SIZES, entry for entry.
constexpr std::array kTraits{
    TypeTraits{GgmlType::F32, "F32", {1, 4}},
    TypeTraits{GgmlType::F16, "F16", {1, 2}},
    TypeTraits{GgmlType::Q4_0, "Q4_0", {32, 2 + 16}},
    TypeTraits{GgmlType::Q4_1, "Q4_1", {32, 2 + 2 + 16}},
    TypeTraits{GgmlType::Q5_0, "Q5_0", {32, 2 + 4 + 16}},
    TypeTraits{GgmlType::Q5_1, "Q5_1", {32, 2 + 2 + 4 + 16}},
    TypeTraits{GgmlType::Q8_0, "Q8_0", {32, 2 + 32}},
    TypeTraits{GgmlType::Q8_1, "Q8_1", {32, 4 + 4 + 32}},
    TypeTraits{GgmlType::Q2_K, "Q2_K", {256, 2 + 2 + kQK_K / 16 + kQK_K / 4}},
    TypeTraits{GgmlType::Q3_K, "Q3_K", {256, 2 + kQK_K / 4 + kQK_K / 8 + 12}},
    TypeTraits{GgmlType::Q4_K, "Q4_K", {256, 2 + 2 + kQK_K / 2 + 12}},
    TypeTraits{GgmlType::Q5_K, "Q5_K", {256, 2 + 2 + kQK_K / 2 + kQK_K / 8 + 12}},
    TypeTraits{GgmlType::Q6_K, "Q6_K", {256, 2 + kQK_K / 2 + kQK_K / 4 + kQK_K / 16}},
    TypeTraits{GgmlType::Q8_K, "Q8_K", {256, 4 + kQK_K + kQK_K / 8}},
    TypeTraits{GgmlType::IQ2_XXS, "IQ2_XXS", {256, 2 + kQK_K / 4}},
    TypeTraits{GgmlType::IQ2_XS, "IQ2_XS", {256, 2 + kQK_K / 4 + kQK_K / 32}},
    TypeTraits{GgmlType::IQ3_XXS, "IQ3_XXS", {256, 2 + kQK_K / 4 + kQK_K / 8}},
    TypeTraits{GgmlType::IQ1_S, "IQ1_S", {256, 2 + kQK_K / 8 + kQK_K / 16}},
    TypeTraits{GgmlType::IQ4_NL, "IQ4_NL", {32, 2 + 16}},
    TypeTraits{GgmlType::IQ3_S, "IQ3_S", {256, 2 + kQK_K / 4 + kQK_K / 8 + kQK_K / 32 + 4}},
    TypeTraits{GgmlType::IQ2_S, "IQ2_S", {256, 2 + kQK_K / 4 + kQK_K / 16}},
    TypeTraits{GgmlType::IQ4_XS, "IQ4_XS", {256, 2 + 2 + kQK_K / 2 + kQK_K / 64}},
    TypeTraits{GgmlType::I8, "I8", {1, 1}},
    TypeTraits{GgmlType::I16, "I16", {1, 2}},
    TypeTraits{GgmlType::I32, "I32", {1, 4}},
    TypeTraits{GgmlType::I64, "I64", {1, 8}},
    TypeTraits{GgmlType::F64, "F64", {1, 8}},
    TypeTraits{GgmlType::IQ1_M, "IQ1_M", {256, kQK_K / 8 + kQK_K / 16 + kQK_K / 32}},
    TypeTraits{GgmlType::BF16, "BF16", {1, 2}},
    TypeTraits{GgmlType::TQ1_0, "TQ1_0", {256, 2 + 4 * 13}},
    TypeTraits{GgmlType::TQ2_0, "TQ2_0", {256, 2 + 64}},
    TypeTraits{GgmlType::MXFP4, "MXFP4", {32, 1 + 16}},
    TypeTraits{GgmlType::NVFP4, "NVFP4", {64, 4 + 32}},
    TypeTraits{GgmlType::Q1_0, "Q1_0", {128, 2 + 16}},
};

const TypeTraits* find_traits(GgmlType type) {
  for (const auto& traits : kTraits)
    if (traits.type == type) return &traits;
  return nullptr;
}

}  // namespace

std::optional<GgmlBlockLayout> block_layout(GgmlType type) {
  const TypeTraits* traits = find_traits(type);
  if (!traits) return std::nullopt;
  return traits->layout;
}

std::string type_name(GgmlType type) {
  const TypeTraits* traits = find_traits(type);
  if (!traits) return "unknown type " + std::to_string(static_cast<std::uint32_t>(type));
  return traits->name;
}

std::int64_t bytes_for(GgmlType type, std::int64_t n_elements) {
  const auto layout = block_layout(type);
  if (!layout) throw dictlab::PluginError("ggml " + type_name(type) + " has no known block size");
  if (n_elements < 0 || n_elements % layout->block_size != 0)
    throw dictlab::PluginError(std::to_string(n_elements) + " elements of " + type_name(type) +
                      " are not a whole number of " + std::to_string(layout->block_size) +
                      "-element blocks");
  const std::int64_t blocks = n_elements / layout->block_size;
  if (blocks > std::numeric_limits<std::int64_t>::max() / layout->type_size)
    throw dictlab::PluginError(std::to_string(n_elements) + " elements of " + type_name(type) +
                      " take more bytes than an int64 counts");
  return blocks * layout->type_size;
}

}  // namespace gguf_model

#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "ggml_types.h"
#include "gguf_file.h"
#include "gguf_tensor_info.h"

namespace gguf_model {

// Whether dequantize() handles `type`: F32, F16, BF16, Q4_0, Q4_1, Q5_0,
// Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K.
bool can_dequantize(GgmlType type);

// IEEE half to float, exact for every input (subnormals, infinities, NaN).
float fp16_to_float(std::uint16_t bits);

// Decodes `n` elements of `type` from `data` (bytes_for(type, n) bytes, no
// alignment needed) into out[0..n). Matches gguf-py's reference numpy
// dequantizers (quants.py) bit for bit: the same float32 operations in the
// same order, never fused. Throws PluginError for a type can_dequantize()
// rejects or an `n` that is not a whole number of blocks.
void dequantize(GgmlType type, const std::byte* data, std::int64_t n, float* out);

// The tensor's elements as float32, in file order (dims[0] fastest). Throws
// PluginError naming the file, the tensor and its type when the type cannot
// be dequantized.
std::vector<float> dequantize_tensor(const GgufFile& file, const GgufTensorInfo& info);

// The same into a buffer the caller owns (a torch::empty tensor's storage),
// which must hold exactly info.n_elements floats.
void dequantize_tensor_into(const GgufFile& file, const GgufTensorInfo& info, std::span<float> out);

}  // namespace gguf_model

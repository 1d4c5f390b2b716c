#pragma once

#include <torch/torch.h>

#include "llama_config.h"

namespace gguf_model {

// The rotation angles of positions [first, first + count): cos and sin,
// each [count, rope_dims / 2] float32.
struct RopeTable {
  torch::Tensor cos;
  torch::Tensor sin;
};
RopeTable rope_table(const LlamaConfig& config, const torch::Tensor& freq_factors, std::int64_t first,
                     std::int64_t count);

// Rotates the leading rope_dims of every head of x [batch, length, heads,
// d_head] (any strides) by the table's angles; returns a new contiguous tensor.
torch::Tensor apply_rope(const torch::Tensor& x, const RopeTable& table, const LlamaConfig& config);

}  // namespace gguf_model

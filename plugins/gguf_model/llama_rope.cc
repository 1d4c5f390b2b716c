#include "llama_rope.h"

#include <cmath>

namespace gguf_model {

RopeTable rope_table(const LlamaConfig& config, const torch::Tensor& freq_factors, std::int64_t first,
                     std::int64_t count) {
  const std::int64_t pairs = config.rope_dims / 2;
  // Angles in double: at positions in the thousands float32 products lose
  // digits that the cosines then show.
  std::vector<double> frequency(pairs);
  for (std::int64_t i = 0; i < pairs; ++i) {
    frequency[i] = std::pow(config.rope_base, -2.0 * static_cast<double>(i) / static_cast<double>(config.rope_dims)) /
                   config.rope_linear_factor;
    if (freq_factors.defined()) frequency[i] /= freq_factors[i].item<double>();
  }
  RopeTable table{torch::empty({count, pairs}), torch::empty({count, pairs})};
  float* cos = table.cos.data_ptr<float>();
  float* sin = table.sin.data_ptr<float>();
  for (std::int64_t p = 0; p < count; ++p)
    for (std::int64_t i = 0; i < pairs; ++i) {
      const double angle = static_cast<double>(first + p) * frequency[i];
      cos[p * pairs + i] = static_cast<float>(std::cos(angle));
      sin[p * pairs + i] = static_cast<float>(std::sin(angle));
    }
  return table;
}

torch::Tensor apply_rope(const torch::Tensor& x, const RopeTable& table, const LlamaConfig& config) {
  const std::int64_t pairs = config.rope_dims / 2;
  // [length, 1, pairs]: broadcast over batch and heads.
  const torch::Tensor cos = table.cos.unsqueeze(1).to(x.scalar_type());
  const torch::Tensor sin = table.sin.unsqueeze(1).to(x.scalar_type());
  const torch::Tensor rotated = x.narrow(-1, 0, config.rope_dims);
  torch::Tensor first, second;
  if (config.rope_layout == RopeLayout::adjacent_pairs) {
    const torch::Tensor pair = rotated.unflatten(-1, {pairs, 2});
    first = pair.select(-1, 0), second = pair.select(-1, 1);
  } else {
    first = rotated.narrow(-1, 0, pairs), second = rotated.narrow(-1, pairs, pairs);
  }
  const torch::Tensor new_first = first * cos - second * sin;
  const torch::Tensor new_second = first * sin + second * cos;
  torch::Tensor result = config.rope_layout == RopeLayout::adjacent_pairs
                             ? torch::stack({new_first, new_second}, -1).flatten(-2)
                             : torch::cat({new_first, new_second}, -1);
  if (config.rope_dims < x.size(-1))
    result = torch::cat({result, x.narrow(-1, config.rope_dims, x.size(-1) - config.rope_dims)}, -1);
  return result;
}

}  // namespace gguf_model

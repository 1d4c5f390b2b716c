#include "next_token_sampler.h"

#include <limits>

namespace torch_training {

std::int32_t sample_next_token(const torch::Tensor& position_logits, const dictlab::SamplingOptions& options,
                               std::mt19937_64& rng) {
  torch::Tensor logits = position_logits.to(torch::kCPU).to(torch::kDouble);
  if (options.temperature <= 0) return static_cast<std::int32_t>(logits.argmax().item<std::int64_t>());
  logits = logits / options.temperature;
  if (options.top_k > 0 && options.top_k < logits.size(0)) {
    const double threshold = std::get<0>(logits.topk(options.top_k))[-1].item<double>();
    logits = logits.masked_fill(logits < threshold, -std::numeric_limits<double>::infinity());
  }
  const torch::Tensor probabilities = torch::softmax(logits, 0).contiguous();
  const double* p = probabilities.data_ptr<double>();
  std::discrete_distribution<std::int32_t> pick(p, p + probabilities.numel());
  return pick(rng);
}

}  // namespace torch_training

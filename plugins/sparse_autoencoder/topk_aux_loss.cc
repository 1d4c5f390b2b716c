#include "trainer.h"

namespace sparse_autoencoder {

torch::Tensor topk_aux_loss(const Sae& sae, const torch::Tensor& pre, const torch::Tensor& residual,
                            const torch::Tensor& dead, std::int64_t aux_k) {
  const std::int64_t dead_count = dead.sum().item<std::int64_t>();
  if (dead_count == 0) return torch::zeros({}, pre.options());
  const std::int64_t k = std::min(aux_k, dead_count);
  const torch::Tensor masked = pre.masked_fill(dead.logical_not().unsqueeze(0), -std::numeric_limits<float>::infinity());
  auto [values, indices] = masked.topk(k, 1);
  const torch::Tensor codes = torch::zeros_like(pre).scatter(1, indices, torch::relu(values));
  const torch::Tensor reconstruction = torch::matmul(codes, sae.W_dec);
  // Normalised by the residual's own size, as in Gao et al., so the term
  // does not vanish as the main reconstruction improves.
  return (reconstruction - residual).pow(2).sum(1).mean() / residual.pow(2).sum(1).mean().clamp_min(1e-8);
}

}  // namespace sparse_autoencoder

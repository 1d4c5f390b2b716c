#include "geometric_median.h"

namespace sparse_autoencoder {

torch::Tensor geometric_median(const torch::Tensor& points, int iterations) {
  torch::NoGradGuard no_grad;
  torch::Tensor median = points.mean(0);
  for (int i = 0; i < iterations; ++i) {
    const torch::Tensor weights = 1.0 / (points - median).norm(2, 1).clamp_min(1e-8);
    const torch::Tensor next = (points * weights.unsqueeze(1)).sum(0) / weights.sum();
    const bool converged = (next - median).norm().item<double>() < 1e-6 * median.norm().item<double>();
    median = next;
    if (converged) break;
  }
  return median;
}

}  // namespace sparse_autoencoder

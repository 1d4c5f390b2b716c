#include "orthogonalize.h"

#include <torch/torch.h>

namespace synthetic {

void orthogonalize(std::vector<float>& rows, std::int64_t n, std::int64_t d, std::int64_t steps, double lr,
                   const std::function<void(std::int64_t, std::int64_t)>& progress) {
  if (steps <= 0) return;
  torch::NoGradGuard no_grad;
  torch::Tensor e = torch::from_blob(rows.data(), {n, d}, torch::kFloat32).clone();
  e = e / e.norm(2, 1, true);
  torch::Tensor m = torch::zeros_like(e), v = torch::zeros_like(e), grad = torch::empty_like(e);
  constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;  // torch.optim.Adam's defaults
  constexpr std::int64_t kChunk = 1024;
  for (std::int64_t step = 1; step <= steps; ++step) {
    // d/dE of the loss is 2·D·E with D = dLoss/dGram: 2·g_ij off the diagonal, 2n(g_ii − 1) on it.
    for (std::int64_t start = 0; start < n; start += kChunk) {
      const std::int64_t rows_here = std::min(kChunk, n - start);
      const torch::Tensor block = e.narrow(0, start, rows_here);
      torch::Tensor gram = torch::matmul(block, e.t());
      torch::Tensor diagonal = gram.narrow(1, start, rows_here).diagonal();
      diagonal.copy_((diagonal - 1.0) * static_cast<double>(n));
      grad.narrow(0, start, rows_here).copy_(torch::matmul(gram, e) * 4.0);
    }
    m.mul_(kBeta1).add_(grad, 1.0 - kBeta1);
    v.mul_(kBeta2).addcmul_(grad, grad, 1.0 - kBeta2);
    const double bias1 = 1.0 - std::pow(kBeta1, static_cast<double>(step));
    const double bias2 = 1.0 - std::pow(kBeta2, static_cast<double>(step));
    e.addcdiv_(m, (v / bias2).sqrt_().add_(kEps), -lr / bias1);
    if (progress) progress(step, steps);
  }
  e = (e / e.norm(2, 1, true)).contiguous();
  std::memcpy(rows.data(), e.data_ptr<float>(), rows.size() * sizeof(float));
}

}  // namespace synthetic

#include "fused_adam.h"

#include <ATen/Parallel.h>

#include <cmath>

#include "vector_kernels.h"

namespace sparse_autoencoder {

torch::Tensor FusedAdam::step(LossClosure closure) {
  TORCH_CHECK(!closure, "FusedAdam takes no closure");
  for (const auto& group : param_groups())
    for (const auto& p : group.params())
      if (!p.device().is_cpu()) return torch::optim::Adam::step();
  torch::NoGradGuard no_grad;
  for (auto& group : param_groups()) {
    const auto& options = static_cast<const torch::optim::AdamOptions&>(group.options());
    TORCH_CHECK(options.weight_decay() == 0 && !options.amsgrad(), "FusedAdam has no weight decay or AMSGrad");
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      TORCH_CHECK(p.is_contiguous() && p.scalar_type() == torch::kFloat, "FusedAdam needs contiguous float parameters");
      const OptimizerStateKey key = optimizer_state_key(p);
      auto& states = state();
      if (states.find(key) == states.end()) {
        auto fresh = std::make_unique<torch::optim::AdamParamState>();
        fresh->exp_avg(torch::zeros_like(p));
        fresh->exp_avg_sq(torch::zeros_like(p));
        states[key] = std::move(fresh);
      }
      auto& s = static_cast<torch::optim::AdamParamState&>(*states[key]);
      s.step(s.step() + 1);
      const auto [beta1, beta2] = options.betas();
      const double correction1 = 1 - std::pow(beta1, static_cast<double>(s.step()));
      const double correction2 = 1 - std::pow(beta2, static_cast<double>(s.step()));
      const AdamConstants constants{static_cast<float>(beta1), static_cast<float>(beta2),
                                    static_cast<float>(options.lr() / correction1),
                                    static_cast<float>(1 / std::sqrt(correction2)), static_cast<float>(options.eps())};
      const torch::Tensor grad = p.grad().contiguous();
      float* w = p.data_ptr<float>();
      const float* g = grad.data_ptr<float>();
      float* m = s.exp_avg().data_ptr<float>();
      float* v = s.exp_avg_sq().data_ptr<float>();
      at::parallel_for(0, p.numel(), 1 << 14, [&](std::int64_t begin, std::int64_t end) {
        adam_update(w + begin, g + begin, m + begin, v + begin, end - begin, constants);
      });
    }
  }
  return {};
}

}  // namespace sparse_autoencoder

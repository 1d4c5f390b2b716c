// FusedAdam must update parameters as LibTorch's Adam does.
#include "fused_adam.h"

#include <gtest/gtest.h>

namespace sparse_autoencoder {

TEST(FusedAdam, FollowsLibTorchAdamOverManySteps) {
  torch::manual_seed(5);
  const torch::Tensor start = torch::randn({37, 129});  // odd sizes: the vector loops' tails
  torch::Tensor a = start.clone().requires_grad_(), b = start.clone().requires_grad_();
  torch::optim::Adam reference({a}, torch::optim::AdamOptions(1e-2));
  FusedAdam fused({b}, torch::optim::AdamOptions(1e-2));
  for (int step = 0; step < 50; ++step) {
    const torch::Tensor gradient = torch::randn({37, 129}) * (step % 7 == 0 ? 0.0 : 1.0);
    a.mutable_grad() = gradient.clone();
    b.mutable_grad() = gradient.clone();
    reference.step();
    fused.step();
  }
  EXPECT_GT((a - start).abs().max().item<double>(), 0.1);  // it moved
  EXPECT_LT((a - b).abs().max().item<double>(), 1e-5);
  const auto& state = static_cast<torch::optim::AdamParamState&>(
      *fused.state().at(sparse_autoencoder::optimizer_state_key(b)));
  EXPECT_EQ(state.step(), 50);
}

}  // namespace sparse_autoencoder

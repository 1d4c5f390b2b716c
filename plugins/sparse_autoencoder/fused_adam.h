#pragma once

#include <torch/torch.h>

namespace sparse_autoencoder {

// LibTorch's Adam with each parameter's update fused into one pass over
// memory (vector_kernels.h) instead of about ten tensor operations. The
// state is Adam's own, so checkpoints and the resampler's resets work
// unchanged. Parameters must be contiguous float tensors on the CPU; no
// weight decay or AMSGrad.
class FusedAdam : public torch::optim::Adam {
 public:
  using torch::optim::Adam::Adam;
  torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace sparse_autoencoder

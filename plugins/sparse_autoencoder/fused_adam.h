#pragma once

#include <torch/torch.h>

#include <sstream>
#include <string>
#include <type_traits>

namespace sparse_autoencoder {

// The key LibTorch files a parameter's optimiser state under: the address of
// its TensorImpl, as text before LibTorch 2 (Debian's 1.13) and as a pointer
// since (PyPI's, for the CUDA build).
using OptimizerStateKey =
    std::remove_reference_t<decltype(std::declval<torch::optim::Optimizer&>().state())>::key_type;
template <typename Key = OptimizerStateKey>  // a template, so that only the branch taken is compiled
Key optimizer_state_key(const torch::Tensor& parameter) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream text;
    text << parameter.unsafeGetTensorImpl();
    return text.str();
  } else {
    return parameter.unsafeGetTensorImpl();
  }
}

// LibTorch's Adam with each parameter's update fused into one pass over
// memory (vector_kernels.h) instead of about ten tensor operations. The
// state is Adam's own, so checkpoints and the resampler's resets work
// unchanged. Parameters must be contiguous float tensors; no weight decay
// or AMSGrad. Off the CPU (CUDA) it is LibTorch's Adam, whose own update is
// already fused there.
class FusedAdam : public torch::optim::Adam {
 public:
  using torch::optim::Adam::Adam;
  torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace sparse_autoencoder

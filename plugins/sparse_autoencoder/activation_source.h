#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace sparse_autoencoder {

// Where a dictionary's training activations come from: the model run on the
// fly (ActivationBuffer) or an activation cache stage (CachedActivations).
// Both are deterministic in (seed, step), so a resumed run trains on exactly
// the data an uninterrupted one would have.
class ActivationSource {
 public:
  virtual ~ActivationSource() = default;
  // The batch of training step `step`, [batch_size, d_in] (+ d_out: a
  // transcoder's rows hold the input, then the target at the same token).
  virtual torch::Tensor batch(std::int64_t step) = 0;
  // About `rows` activations drawn apart from the training order
  // (initialisation, resampling); `index` picks which draw.
  virtual torch::Tensor sample(std::int64_t rows, std::int64_t index) = 0;
  virtual std::int64_t d_in() const = 0;
  // The target's width when rows pair an input with a target; 0 otherwise.
  virtual std::int64_t d_out() const { return 0; }
};

}  // namespace sparse_autoencoder

#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "dictlab/model.h"
#include "dictlab/token_shards.h"

namespace sparse_autoencoder {

// MLP activations harvested from a model over random windows of the training
// tokens, shuffled, served in batches. Refill r and its shuffle depend only
// on (seed, r), so step s always sees the same batch: a resumed run trains
// on exactly the data an uninterrupted one would have.
class ActivationBuffer {
 public:
  ActivationBuffer(dictlab::Model& model, const dictlab::TokenShard& tokens, std::int64_t contexts_per_refill,
                   std::int64_t batch_size, std::uint64_t seed);

  // The batch of training step `step`, [batch_size, d_in].
  torch::Tensor batch(std::int64_t step);
  // Activations of `contexts` windows drawn apart from the training batches
  // (initialisation, resampling); `index` picks which draw.
  torch::Tensor sample(std::int64_t contexts, std::int64_t index = 0);
  std::int64_t d_in() const { return d_in_; }

 private:
  torch::Tensor harvest(std::uint64_t stream, std::int64_t index, std::int64_t contexts);

  dictlab::Model& model_;
  const dictlab::TokenShard& tokens_;
  std::int64_t contexts_, batch_size_, context_length_, d_in_;
  std::uint64_t seed_;
  std::int64_t batches_per_refill_;
  std::int64_t loaded_refill_ = -1;
  torch::Tensor buffer_;
};

}  // namespace sparse_autoencoder

#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "activation_source.h"
#include "dictlab/collectives.h"
#include "dictlab/model.h"
#include "dictlab/token_shards.h"

namespace sparse_autoencoder {

// Activations at one hook harvested from a model over random windows of the training
// tokens, shuffled, served in batches. Refill r and its shuffle depend only
// on (seed, r), so step s always sees the same batch. With a `target` hook
// (a transcoder's), each row also holds the activations there at the same
// token, from the same forward pass: [input | target]. In a data-parallel
// run each rank runs the model on its share of the windows (every N-th chunk
// of kWindowChunk) and the ranks swap what they harvested, so every rank holds
// the refill one process would (the same chunks, so the same floats); every
// rank must then call batch() and sample() at the same points.
class ActivationBuffer : public ActivationSource {
 public:
  ActivationBuffer(dictlab::Model& model, const dictlab::HookPoint& hook, const dictlab::TokenShard& tokens,
                   std::int64_t contexts_per_refill, std::int64_t batch_size, std::uint64_t seed,
                   dictlab::Collectives& ranks, const std::optional<dictlab::HookPoint>& target = std::nullopt);

  torch::Tensor batch(std::int64_t step) override;
  // Whole context windows: `rows` rounded up to the context length.
  torch::Tensor sample(std::int64_t rows, std::int64_t index) override;
  std::int64_t d_in() const override { return d_in_; }
  std::int64_t d_out() const override { return d_out_; }

 private:
  torch::Tensor harvest(std::uint64_t stream, std::int64_t index, std::int64_t contexts);

  dictlab::Model& model_;
  dictlab::Collectives& ranks_;
  const dictlab::TokenShard& tokens_;
  std::int64_t contexts_, batch_size_, context_length_, d_in_, d_out_;
  std::vector<std::string> hooks_;
  std::uint64_t seed_;
  std::int64_t batches_per_refill_;
  std::int64_t loaded_refill_ = -1;
  torch::Tensor buffer_;
};

}  // namespace sparse_autoencoder

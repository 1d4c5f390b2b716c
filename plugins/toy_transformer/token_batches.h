#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "dictlab/token_shards.h"

namespace toy_transformer {

// Windows of length+1 tokens from a shard. The windows of step s depend only
// on (seed, s), so a resumed run sees exactly the data it would have seen.
class TokenBatches {
 public:
  TokenBatches(const dictlab::TokenShard& shard, std::int64_t length) : shard_(shard), length_(length) {}

  torch::Tensor random_batch(std::uint64_t seed, std::int64_t step, std::int64_t batch_size) const;
  // Evenly spaced windows: the same every time, for evaluation.
  torch::Tensor fixed_batch(std::int64_t index, std::int64_t count, std::int64_t batch_size) const;
  std::int64_t windows() const { return shard_.size() - length_; }

 private:
  torch::Tensor gather(const std::vector<std::int64_t>& starts) const;
  const dictlab::TokenShard& shard_;
  std::int64_t length_;
};

}  // namespace toy_transformer

#pragma once

#include <filesystem>

#include "activation_source.h"
#include "dictlab/activation_cache.h"

namespace sparse_autoencoder {

// Training batches read from an activation cache stage. Each pass over the
// cache visits its shards in an order drawn from (seed, pass) and each shard's
// rows in an order drawn from (seed, pass, shard), so passes differ while a
// resumed run still sees exactly the batches an uninterrupted one would.
class CachedActivations : public ActivationSource {
 public:
  CachedActivations(const std::filesystem::path& dir, std::int64_t batch_size, std::uint64_t seed);

  torch::Tensor batch(std::int64_t step) override;
  // `rows` of one shard (all of it when it holds fewer).
  torch::Tensor sample(std::int64_t rows, std::int64_t index) override;
  std::int64_t d_in() const override { return info_.d_in; }
  const dictlab::ActivationCacheInfo& info() const { return info_; }

 private:
  // Shard `shard` as floats, its rows in the order drawn from `order_seed`.
  torch::Tensor load(std::int64_t shard, std::uint64_t order_seed) const;

  std::filesystem::path dir_;
  dictlab::ActivationCacheInfo info_;
  std::int64_t batch_size_;
  std::uint64_t seed_;
  std::int64_t batches_per_shard_;
  std::int64_t loaded_pass_ = -1, loaded_slot_ = -1;
  torch::Tensor loaded_;
};

}  // namespace sparse_autoencoder

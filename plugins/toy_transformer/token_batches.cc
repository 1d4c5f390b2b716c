#include "token_batches.h"

#include <random>

namespace toy_transformer {

torch::Tensor TokenBatches::gather(const std::vector<std::int64_t>& starts) const {
  torch::Tensor batch = torch::empty({static_cast<std::int64_t>(starts.size()), length_ + 1}, torch::kLong);
  auto out = batch.accessor<std::int64_t, 2>();
  for (std::size_t b = 0; b < starts.size(); ++b)
    for (std::int64_t t = 0; t <= length_; ++t) out[static_cast<std::int64_t>(b)][t] = shard_[starts[b] + t];
  return batch;
}

torch::Tensor TokenBatches::random_batch(std::uint64_t seed, std::int64_t step, std::int64_t batch_size) const {
  std::seed_seq sequence{seed, static_cast<std::uint64_t>(step)};
  std::mt19937_64 rng(sequence);
  std::uniform_int_distribution<std::int64_t> start(0, windows() - 1);
  std::vector<std::int64_t> starts(static_cast<std::size_t>(batch_size));
  for (auto& s : starts) s = start(rng);
  return gather(starts);
}

torch::Tensor TokenBatches::fixed_batch(std::int64_t index, std::int64_t count, std::int64_t batch_size) const {
  const std::int64_t total = count * batch_size;
  std::vector<std::int64_t> starts;
  for (std::int64_t i = index * batch_size; i < (index + 1) * batch_size; ++i)
    starts.push_back(std::min(windows() - 1, i * windows() / total));
  return gather(starts);
}

}  // namespace toy_transformer

#include "cached_activations.h"

#include <numeric>
#include <random>

#include "dictlab/safetensors.h"

namespace sparse_autoencoder {
namespace {

std::vector<std::int64_t> shuffled(std::int64_t count, std::initializer_list<std::uint64_t> seeds) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), 0);
  std::seed_seq sequence(seeds);
  std::mt19937_64 rng(sequence);
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

torch::ScalarType torch_dtype(const std::string& dtype) {
  if (dtype == "F16") return torch::kHalf;
  if (dtype == "BF16") return torch::kBFloat16;
  if (dtype == "F32") return torch::kFloat;
  throw dictlab::PluginError("activation shards hold F16, BF16 or F32, not " + dtype);
}

}  // namespace

CachedActivations::CachedActivations(const std::filesystem::path& dir, std::int64_t batch_size, std::uint64_t seed)
    : dir_(dir), info_(dictlab::ActivationCacheInfo::read(dir)), batch_size_(batch_size), seed_(seed) {
  if (batch_size_ > info_.shard_rows)
    throw dictlab::OptionError("batch_size", "is larger than the activation cache's shards (" +
                                                 std::to_string(info_.shard_rows) + " activations in " +
                                                 dir.string() + "); lower it or raise shard_activations there");
  batches_per_shard_ = info_.shard_rows / batch_size_;
}

torch::Tensor CachedActivations::load(std::int64_t shard, std::uint64_t order_seed) const {
  const dictlab::SafetensorsFile file(dictlab::ActivationCacheInfo::shard_file(dir_, shard));
  const auto& stored = file.get("activations", {info_.shard_rows, info_.d_in}, {"F16", "BF16", "F32"});
  const torch::Tensor rows =
      torch::from_blob(const_cast<char*>(stored.bytes.data()), {info_.shard_rows, info_.d_in},
                       torch_dtype(stored.dtype))
          .to(torch::kFloat);
  const auto order = shuffled(info_.shard_rows, {seed_, order_seed, static_cast<std::uint64_t>(shard)});
  return rows.index_select(0, torch::tensor(order, torch::kLong));
}

torch::Tensor CachedActivations::batch(std::int64_t step) {
  const std::int64_t per_pass = info_.shards * batches_per_shard_;
  const std::int64_t pass = step / per_pass, within = step % per_pass;
  const std::int64_t slot = within / batches_per_shard_;
  if (pass != loaded_pass_ || slot != loaded_slot_) {
    const auto shards = shuffled(info_.shards, {seed_, static_cast<std::uint64_t>(pass)});
    loaded_ = load(shards[static_cast<std::size_t>(slot)], static_cast<std::uint64_t>(pass));
    loaded_pass_ = pass;
    loaded_slot_ = slot;
  }
  return loaded_.narrow(0, (within % batches_per_shard_) * batch_size_, batch_size_);
}

torch::Tensor CachedActivations::sample(std::int64_t rows, std::int64_t index) {
  // Order seeds from the top of the range, apart from the passes' ones.
  const torch::Tensor shard = load(index % info_.shards, ~static_cast<std::uint64_t>(index));
  return shard.narrow(0, 0, std::min(rows, info_.shard_rows));
}

}  // namespace sparse_autoencoder

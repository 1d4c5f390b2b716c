#include "activation_buffer.h"

#include <random>

#include "dictlab/errors.h"

namespace sparse_autoencoder {

ActivationBuffer::ActivationBuffer(dictlab::Model& model, const dictlab::TokenShard& tokens,
                                   std::int64_t contexts_per_refill, std::int64_t batch_size, std::uint64_t seed)
    : model_(model),
      tokens_(tokens),
      contexts_(contexts_per_refill),
      batch_size_(batch_size),
      context_length_(model.shape().context_length),
      d_in_(model.shape().d_mlp),
      seed_(seed) {
  batches_per_refill_ = contexts_ * context_length_ / batch_size_;
  if (batches_per_refill_ < 1)
    throw dictlab::OptionError("buffer_contexts", "holds fewer activations (" +
                                                      std::to_string(contexts_ * context_length_) +
                                                      ") than one batch (" + std::to_string(batch_size_) + ")");
  if (tokens_.size() <= context_length_) throw dictlab::PluginError("the token shard is shorter than one context");
}

torch::Tensor ActivationBuffer::harvest(std::uint64_t stream, std::int64_t index, std::int64_t contexts) {
  std::seed_seq sequence{seed_, stream, static_cast<std::uint64_t>(index)};
  std::mt19937_64 rng(sequence);
  std::uniform_int_distribution<std::int64_t> start(0, tokens_.size() - context_length_ - 1);
  // Models are run a few contexts at a time to bound their memory.
  constexpr std::int64_t kChunk = 32;
  std::vector<torch::Tensor> parts;
  for (std::int64_t c = 0; c < contexts; c += kChunk) {
    const std::int64_t n = std::min(kChunk, contexts - c);
    std::vector<std::int32_t> chunk(static_cast<std::size_t>(n * context_length_));
    for (std::int64_t b = 0; b < n; ++b) {
      const std::int64_t s = start(rng);
      for (std::int64_t t = 0; t < context_length_; ++t)
        chunk[static_cast<std::size_t>(b * context_length_ + t)] = static_cast<std::int32_t>(tokens_[s + t]);
    }
    auto activations = model_.mlp_activations({chunk.data(), n, context_length_});
    parts.push_back(torch::from_blob(activations.data(), {n * context_length_, d_in_}, torch::kFloat).clone());
  }
  return torch::cat(parts);
}

torch::Tensor ActivationBuffer::batch(std::int64_t step) {
  const std::int64_t refill = step / batches_per_refill_;
  if (refill != loaded_refill_) {
    torch::Tensor activations = harvest(/*stream=*/0, refill, contexts_);
    torch::manual_seed(seed_ * 1000003ULL + static_cast<std::uint64_t>(refill));
    buffer_ = activations.index_select(0, torch::randperm(activations.size(0)));
    loaded_refill_ = refill;
  }
  return buffer_.narrow(0, (step % batches_per_refill_) * batch_size_, batch_size_);
}

torch::Tensor ActivationBuffer::sample(std::int64_t rows, std::int64_t index) {
  return harvest(/*stream=*/1, index, (rows + context_length_ - 1) / context_length_);
}

}  // namespace sparse_autoencoder

#include "activation_buffer.h"

#include <random>

#include "dictlab/errors.h"
#include "dictlab/token_windows.h"

namespace sparse_autoencoder {

ActivationBuffer::ActivationBuffer(dictlab::Model& model, const dictlab::HookPoint& hook, const dictlab::TokenShard& tokens,
                                   std::int64_t contexts_per_refill, std::int64_t batch_size, std::uint64_t seed,
                                   dictlab::Collectives& ranks, const std::optional<dictlab::HookPoint>& target)
    : model_(model),
      ranks_(ranks),
      tokens_(tokens),
      contexts_(contexts_per_refill),
      batch_size_(batch_size),
      context_length_(model.shape().context_length),
      d_in_(hook.width),
      d_out_(target ? target->width : 0),
      hooks_{hook.name},
      seed_(seed) {
  if (target) hooks_.push_back(target->name);
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
  const std::vector<std::int64_t> starts = dictlab::random_window_starts(tokens_, context_length_, contexts, rng);
  const std::int64_t chunks = (contexts + dictlab::kWindowChunk - 1) / dictlab::kWindowChunk;
  const int world = ranks_.world_size();
  const auto windows_in = [&](std::int64_t chunk) {
    return std::min(dictlab::kWindowChunk, contexts - chunk * dictlab::kWindowChunk);
  };
  std::vector<float> mine;
  for (std::int64_t chunk = ranks_.rank(); chunk < chunks; chunk += world) {
    const auto first = starts.begin() + chunk * dictlab::kWindowChunk;
    const std::vector<float> part =
        dictlab::window_activations(model_, hooks_, tokens_, std::vector<std::int64_t>(first, first + windows_in(chunk)));
    mine.insert(mine.end(), part.begin(), part.end());
  }
  // Every rank's chunks, in rank order, put back in window order (`mine`
  // outlives the copies out of it).
  const torch::Tensor gathered = ranks_.concatenate(
      torch::from_blob(mine.data(), {static_cast<std::int64_t>(mine.size())}, torch::kFloat));
  const std::int64_t row_floats = context_length_ * (d_in_ + d_out_);
  torch::Tensor rows = torch::empty({contexts * context_length_, d_in_ + d_out_}, torch::kFloat);
  std::int64_t offset = 0;
  for (int rank = 0; rank < world; ++rank)
    for (std::int64_t chunk = rank; chunk < chunks; chunk += world) {
      const std::int64_t floats = windows_in(chunk) * row_floats;
      rows.view({-1}).narrow(0, chunk * dictlab::kWindowChunk * row_floats, floats)
          .copy_(gathered.narrow(0, offset, floats));
      offset += floats;
    }
  return rows;
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

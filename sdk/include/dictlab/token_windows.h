#pragma once

// Context windows cut from a token shard, and the MLP activations a model
// gives on them: how evaluators and dictionary learners feed a model.

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "dictlab/model.h"
#include "dictlab/token_shards.h"

namespace dictlab {

// Windows first .. first+count-1 of `total` windows of `length` tokens spread
// evenly over the shard, as row-major ids [count, length]. The same `total`
// gives the same windows on every run and in every evaluator.
inline std::vector<std::int32_t> evenly_spaced_windows(const TokenShard& shard, std::int64_t first,
                                                       std::int64_t count, std::int64_t total, std::int64_t length) {
  std::vector<std::int32_t> ids(static_cast<std::size_t>(count * length));
  for (std::int64_t b = 0; b < count; ++b) {
    const std::int64_t offset = (first + b) * (shard.size() - length) / total;
    for (std::int64_t t = 0; t < length; ++t)
      ids[static_cast<std::size_t>(b * length + t)] = static_cast<std::int32_t>(shard[offset + t]);
  }
  return ids;
}

// The model runs this many windows at a time, to bound its memory.
inline constexpr std::int64_t kWindowChunk = 32;

// `contexts` window starts drawn uniformly from the shard by `rng`, in the
// order drawn.
inline std::vector<std::int64_t> random_window_starts(const TokenShard& shard, std::int64_t length,
                                                      std::int64_t contexts, std::mt19937_64& rng) {
  if (shard.size() <= length) throw PluginError("the token shard is shorter than one context");
  std::uniform_int_distribution<std::int64_t> start(0, shard.size() - length - 1);
  std::vector<std::int64_t> starts(static_cast<std::size_t>(contexts));
  for (auto& s : starts) s = start(rng);
  return starts;
}

// Activations at `hooks` side by side, [starts * context_length, Σ widths]
// (each row: the first hook's activations, then the next's, all at one token
// position, from one forward pass), of the windows at `starts`, in order,
// kWindowChunk windows per forward pass (so a chunk's activations do not
// depend on which other chunks run).
inline std::vector<float> window_activations(Model& model, const std::vector<std::string>& hooks,
                                             const TokenShard& shard, const std::vector<std::int64_t>& starts) {
  const std::int64_t length = model.shape().context_length;
  // The shard's ids are below its own vocabulary; a model with a smaller one
  // (trained on another tokenizer stage) would index past its embedding.
  if (model.shape().vocab_size > 0 && shard.vocab_size() > model.shape().vocab_size)
    throw PluginError("the token shard's vocabulary (" + std::to_string(shard.vocab_size()) +
                      ") is larger than the model's (" + std::to_string(model.shape().vocab_size) +
                      "): were they made by different tokenizer stages?");
  std::vector<std::int64_t> widths;
  std::int64_t row_width = 0;
  for (const auto& hook : hooks) row_width += widths.emplace_back(find_hook_point(model.hook_points(), hook).width);
  const auto contexts = static_cast<std::int64_t>(starts.size());
  std::vector<float> activations;
  activations.reserve(static_cast<std::size_t>(contexts * length * row_width));
  std::vector<std::int32_t> ids;
  for (std::int64_t c = 0; c < contexts; c += kWindowChunk) {
    const std::int64_t n = std::min(kWindowChunk, contexts - c);
    ids.resize(static_cast<std::size_t>(n * length));
    for (std::int64_t b = 0; b < n; ++b)
      for (std::int64_t t = 0; t < length; ++t)
        ids[static_cast<std::size_t>(b * length + t)] =
            static_cast<std::int32_t>(shard[starts[static_cast<std::size_t>(c + b)] + t]);
    const auto chunks = model.activations({ids.data(), n, length}, hooks);
    if (hooks.size() == 1) {
      activations.insert(activations.end(), chunks.front().begin(), chunks.front().end());
      continue;
    }
    for (std::int64_t r = 0; r < n * length; ++r)
      for (std::size_t h = 0; h < hooks.size(); ++h) {
        const auto first = chunks[h].begin() + r * widths[h];
        activations.insert(activations.end(), first, first + widths[h]);
      }
  }
  return activations;
}

// The activations of `contexts` windows at starts drawn from `rng`.
inline std::vector<float> random_window_activations(Model& model, const std::vector<std::string>& hooks,
                                                    const TokenShard& shard, std::int64_t contexts,
                                                    std::mt19937_64& rng) {
  return window_activations(model, hooks, shard,
                            random_window_starts(shard, model.shape().context_length, contexts, rng));
}

// Activations at `hook` [contexts * context_length, width], as above.
inline std::vector<float> random_window_activations(Model& model, const std::string& hook, const TokenShard& shard,
                                                    std::int64_t contexts, std::mt19937_64& rng) {
  return random_window_activations(model, std::vector<std::string>{hook}, shard, contexts, rng);
}

}  // namespace dictlab

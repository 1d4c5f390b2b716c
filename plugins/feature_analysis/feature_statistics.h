#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "checkpoints.h"

namespace feature_analysis {

struct StatisticsShape {
  std::int64_t features = 0;
  std::int64_t top_examples = 20;
  std::int64_t intervals = 10;
  std::int64_t interval_examples = 5;
  std::int64_t near_misses = 5;  // silent occurrences of the feature's top token kept
  std::int64_t histogram_bins = 40;
  std::int64_t window_before = 12;  // tokens shown before the chosen one
  std::int64_t window_after = 3;    // and after it
  std::int64_t window() const { return window_before + window_after + 1; }
};

// One batch of contexts and their feature activations.
struct CodedBatch {
  const std::int32_t* ids;  // [contexts, length]
  const float* codes;       // [contexts * length, features]
  std::int64_t contexts, length;
  // Where the batch's first token is in the whole analysis (context index ×
  // length): it orders ties between top examples and draws the interval
  // samples, so the result does not depend on how batches are split.
  std::int64_t first_position = 0;
  std::uint64_t seed = 0;  // the stage's
};

enum class Pass { kFirst, kSecond };

// Per-feature statistics gathered in two streaming passes over the same tokens:
// the first finds density, mean, maximum and the top examples; the second,
// knowing each maximum, fills the histogram and the interval samples (the
// paper's intervals are evenly spaced in activation value, which needs the
// maximum first), and samples the feature's near misses: tokens equal to
// the one its strongest example was chosen for (its trigger) where it is
// silent. Memory is bounded by features x examples x window.
// All state lives in tensors so that a checkpoint is just those tensors.
//
// Each pass's result is a function of the set of tokens seen, not of their
// order or grouping: top examples are the K largest activations, ties to the
// earlier token; interval samples are the E activations with the smallest
// hash of (seed, token, feature), a uniform sample, and so are the near
// misses. So statistics gathered
// over disjoint shards and merged equal one pass over all of them.
class FeatureStatistics {
 public:
  explicit FeatureStatistics(const StatisticsShape& shape);

  void first_pass(const CodedBatch& batch);
  void second_pass(const CodedBatch& batch);

  // Adds another shard's statistics of `pass` to these.
  void merge(const torch_training::TensorMap& other, Pass pass);
  // Picks each feature's trigger token from the first pass's top examples;
  // the second pass needs them (a data-parallel run takes rank 0's).
  void choose_triggers();
  // Empties what `pass` gathers (keeping what it reads from the first pass).
  void clear(Pass pass);
  // The state tensors `pass` gathers.
  static std::vector<std::string> gathered_by(Pass pass);

  torch_training::TensorMap& state() { return state_; }
  // Rebuilds what is derived from the state (after a restore).
  void refresh();

  const StatisticsShape& shape() const { return shape_; }
  const torch::Tensor& tensor(const char* name) const { return state_.at(name); }

 private:
  void refresh_lowest_top(std::int64_t feature);
  void refresh_triggers();
  void sample_near_misses(const CodedBatch& batch);

  StatisticsShape shape_;
  torch_training::TensorMap state_;
  std::vector<std::int32_t> lowest_slot_;  // per feature, its weakest top example's slot
  std::unordered_map<std::int32_t, std::vector<std::int64_t>> triggered_;  // token id → features it triggers
};

}  // namespace feature_analysis

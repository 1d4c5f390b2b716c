#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "checkpoints.h"

namespace feature_analysis {

struct StatisticsShape {
  std::int64_t features = 0;
  std::int64_t top_examples = 20;
  std::int64_t intervals = 10;
  std::int64_t interval_examples = 5;
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
  std::uint64_t seed;  // for the interval reservoirs; a function of the batch, so a resumed pass draws the same
};

// Per-feature statistics gathered in two streaming passes over the same tokens:
// the first finds density, mean, maximum and the top examples; the second,
// knowing each maximum, fills the histogram and the interval samples (the
// paper's intervals are evenly spaced in activation value, which needs the
// maximum first). Memory is bounded by features x examples x window.
// All state lives in tensors so that a checkpoint is just those tensors.
class FeatureStatistics {
 public:
  explicit FeatureStatistics(const StatisticsShape& shape);

  void first_pass(const CodedBatch& batch);
  void second_pass(const CodedBatch& batch);

  torch_training::TensorMap& state() { return state_; }
  // Rebuilds what is derived from the state (after a restore).
  void refresh();

  const StatisticsShape& shape() const { return shape_; }
  const torch::Tensor& tensor(const char* name) const { return state_.at(name); }

 private:
  void record_window(const CodedBatch& batch, std::int64_t context, std::int64_t position, std::int64_t feature,
                     std::int32_t* ids, float* activations, std::int32_t* focus) const;

  StatisticsShape shape_;
  torch_training::TensorMap state_;
  std::vector<float> lowest_top_;       // per feature, the smallest of its top activations
  std::vector<std::int32_t> lowest_slot_;
};

}  // namespace feature_analysis

#include "feature_statistics.h"

#include <algorithm>
#include <random>

namespace feature_analysis {

FeatureStatistics::FeatureStatistics(const StatisticsShape& shape) : shape_(shape) {
  const std::int64_t F = shape.features, K = shape.top_examples, W = shape.window();
  const std::int64_t I = shape.intervals, E = shape.interval_examples;
  const auto i32 = torch::kInt32, i64 = torch::kInt64, f32 = torch::kFloat32;
  state_["count"] = torch::zeros({F}, i64);
  state_["sum"] = torch::zeros({F}, torch::kFloat64);
  state_["max"] = torch::zeros({F}, f32);
  state_["top_activation"] = torch::full({F, K}, -1.0f, f32);  // -1: empty slot
  state_["top_focus"] = torch::zeros({F, K}, i32);
  state_["top_ids"] = torch::full({F, K, W}, -1, i32);          // -1: outside the context
  state_["top_activations"] = torch::zeros({F, K, W}, f32);
  state_["histogram"] = torch::zeros({F, shape.histogram_bins}, i64);
  state_["interval_seen"] = torch::zeros({F, I}, i64);
  state_["interval_activation"] = torch::full({F, I, E}, -1.0f, f32);
  state_["interval_focus"] = torch::zeros({F, I, E}, i32);
  state_["interval_ids"] = torch::full({F, I, E, W}, -1, i32);
  state_["interval_activations"] = torch::zeros({F, I, E, W}, f32);
  refresh();
}

void FeatureStatistics::refresh() {
  const std::int64_t F = shape_.features, K = shape_.top_examples;
  lowest_top_.assign(static_cast<std::size_t>(F), 0.0f);
  lowest_slot_.assign(static_cast<std::size_t>(F), 0);
  const float* top = state_.at("top_activation").data_ptr<float>();
  for (std::int64_t f = 0; f < F; ++f) {
    const float* row = top + f * K;
    const auto slot = std::min_element(row, row + K) - row;
    lowest_top_[static_cast<std::size_t>(f)] = row[slot];
    lowest_slot_[static_cast<std::size_t>(f)] = static_cast<std::int32_t>(slot);
  }
}

void FeatureStatistics::record_window(const CodedBatch& batch, std::int64_t context, std::int64_t position,
                                      std::int64_t feature, std::int32_t* ids, float* activations,
                                      std::int32_t* focus) const {
  const std::int64_t W = shape_.window(), F = shape_.features;
  const std::int64_t start = std::max<std::int64_t>(0, position - shape_.window_before);
  const std::int64_t end = std::min(batch.length, position + shape_.window_after + 1);
  for (std::int64_t i = 0; i < W; ++i) {
    const std::int64_t p = start + i;
    const bool inside = p < end;
    ids[i] = inside ? batch.ids[context * batch.length + p] : -1;
    activations[i] = inside ? batch.codes[(context * batch.length + p) * F + feature] : 0.0f;
  }
  *focus = static_cast<std::int32_t>(position - start);
}

void FeatureStatistics::first_pass(const CodedBatch& batch) {
  const std::int64_t F = shape_.features, K = shape_.top_examples, W = shape_.window();
  auto* count = state_.at("count").data_ptr<std::int64_t>();
  auto* sum = state_.at("sum").data_ptr<double>();
  auto* max = state_.at("max").data_ptr<float>();
  auto* top = state_.at("top_activation").data_ptr<float>();
  auto* top_focus = state_.at("top_focus").data_ptr<std::int32_t>();
  auto* top_ids = state_.at("top_ids").data_ptr<std::int32_t>();
  auto* top_acts = state_.at("top_activations").data_ptr<float>();
  for (std::int64_t c = 0; c < batch.contexts; ++c)
    for (std::int64_t t = 0; t < batch.length; ++t) {
      const float* codes = batch.codes + (c * batch.length + t) * F;
      for (std::int64_t f = 0; f < F; ++f) {
        const float a = codes[f];
        if (a <= 0.0f) continue;
        ++count[f];
        sum[f] += a;
        max[f] = std::max(max[f], a);
        if (a <= lowest_top_[static_cast<std::size_t>(f)]) continue;
        const std::int64_t slot = f * K + lowest_slot_[static_cast<std::size_t>(f)];
        top[slot] = a;
        record_window(batch, c, t, f, top_ids + slot * W, top_acts + slot * W, top_focus + slot);
        const float* row = top + f * K;
        const auto lowest = std::min_element(row, row + K) - row;
        lowest_top_[static_cast<std::size_t>(f)] = row[lowest];
        lowest_slot_[static_cast<std::size_t>(f)] = static_cast<std::int32_t>(lowest);
      }
    }
}

void FeatureStatistics::second_pass(const CodedBatch& batch) {
  const std::int64_t F = shape_.features, W = shape_.window(), B = shape_.histogram_bins;
  const std::int64_t I = shape_.intervals, E = shape_.interval_examples;
  const auto* max = state_.at("max").data_ptr<float>();
  auto* histogram = state_.at("histogram").data_ptr<std::int64_t>();
  auto* seen = state_.at("interval_seen").data_ptr<std::int64_t>();
  auto* chosen = state_.at("interval_activation").data_ptr<float>();
  auto* focus = state_.at("interval_focus").data_ptr<std::int32_t>();
  auto* ids = state_.at("interval_ids").data_ptr<std::int32_t>();
  auto* acts = state_.at("interval_activations").data_ptr<float>();
  std::mt19937_64 rng(batch.seed);
  for (std::int64_t c = 0; c < batch.contexts; ++c)
    for (std::int64_t t = 0; t < batch.length; ++t) {
      const float* codes = batch.codes + (c * batch.length + t) * F;
      for (std::int64_t f = 0; f < F; ++f) {
        const float a = codes[f];
        if (a <= 0.0f) continue;
        const float share = a / max[f];
        histogram[f * B + std::min<std::int64_t>(B - 1, static_cast<std::int64_t>(share * B))]++;
        const std::int64_t interval = f * I + std::min<std::int64_t>(I - 1, static_cast<std::int64_t>(share * I));
        // Reservoir sampling: every activation in the interval is equally likely to be kept.
        const std::int64_t n = ++seen[interval];
        const std::int64_t slot = n <= E ? n - 1 : static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(n));
        if (slot >= E) continue;
        const std::int64_t at = interval * E + slot;
        chosen[at] = a;
        record_window(batch, c, t, f, ids + at * W, acts + at * W, focus + at);
      }
    }
}

}  // namespace feature_analysis

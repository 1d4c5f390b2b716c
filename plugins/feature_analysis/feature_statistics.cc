#include "feature_statistics.h"

#include <algorithm>
#include <limits>

namespace feature_analysis {
namespace {

constexpr std::int64_t kNoOrder = std::numeric_limits<std::int64_t>::max();  // an empty slot's position or key

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// The uniform draw that decides which activations an interval keeps: the
// same for a token and feature however the tokens are split into batches.
std::int64_t sample_key(std::uint64_t seed, std::int64_t position, std::int64_t feature, std::int64_t features) {
  const auto token_feature = static_cast<std::uint64_t>(position * features + feature);
  return static_cast<std::int64_t>(mix(mix(seed) ^ (token_feature * 0x9E3779B97F4A7C15ULL)) >> 1);
}

// The slot of a group of sampled examples that a token with `key` takes
// (the one with the largest key, if larger); -1 if none.
std::int64_t sampled_slot(const std::int64_t* keys, std::int64_t slots, std::int64_t key) {
  const std::int64_t largest = std::max_element(keys, keys + slots) - keys;
  return key < keys[largest] ? largest : -1;
}

// A group of example slots (a feature's top examples, or one interval's
// samples) in the tensors that hold them, each [groups, slots, ...]:
// activation (-1: empty), order (position or sample key), focus, and the
// window's ids and activations.
struct Slots {
  float* activation;
  std::int64_t* order;
  std::int32_t* focus;
  std::int32_t* ids;
  float* activations;
  std::int64_t window;

  static Slots of(const torch_training::TensorMap& state, const std::string& prefix, const std::string& order) {
    return {state.at(prefix + "_activation").data_ptr<float>(), state.at(prefix + "_" + order).data_ptr<std::int64_t>(),
            state.at(prefix + "_focus").data_ptr<std::int32_t>(), state.at(prefix + "_ids").data_ptr<std::int32_t>(),
            state.at(prefix + "_activations").data_ptr<float>(), state.at(prefix + "_ids").size(-1)};
  }
  void copy(std::int64_t to, const Slots& from, std::int64_t at) const {
    activation[to] = from.activation[at];
    order[to] = from.order[at];
    focus[to] = from.focus[at];
    std::copy_n(from.ids + at * window, window, ids + to * window);
    std::copy_n(from.activations + at * window, window, activations + to * window);
  }
};

// Into slot `at`: the window around token `position` of `context`, with the
// feature's activation on each of its tokens.
void record_window(const StatisticsShape& shape, const CodedBatch& batch, std::int64_t context, std::int64_t position,
                   std::int64_t feature, const Slots& slots, std::int64_t at) {
  const std::int64_t W = shape.window(), F = shape.features;
  const std::int64_t start = std::max<std::int64_t>(0, position - shape.window_before);
  const std::int64_t end = std::min(batch.length, position + shape.window_after + 1);
  std::int32_t* ids = slots.ids + at * W;
  float* activations = slots.activations + at * W;
  for (std::int64_t i = 0; i < W; ++i) {
    const std::int64_t p = start + i;
    const bool inside = p < end;
    ids[i] = inside ? batch.ids[context * batch.length + p] : -1;
    activations[i] = inside ? batch.codes[(context * batch.length + p) * F + feature] : 0.0f;
  }
  slots.focus[at] = static_cast<std::int32_t>(position - start);
}

// Per group, the `slots` best of `mine`'s and `theirs`' examples, into
// `mine`: by activation (larger first) then order (smaller first) when
// `by_activation`, else by order alone; empty slots last.
void merge_slots(const Slots& mine, const Slots& theirs, std::int64_t groups, std::int64_t slots, bool by_activation) {
  struct Candidate {
    float activation;
    std::int64_t order;
    const Slots* from;
    std::int64_t at;
  };
  const auto better = [by_activation](const Candidate& a, const Candidate& b) {
    if ((a.activation < 0) != (b.activation < 0)) return b.activation < 0;
    if (by_activation && a.activation != b.activation) return a.activation > b.activation;
    return a.order < b.order;
  };
  // A copy of one group of mine, so that writing the merge does not read its own output.
  std::vector<float> activation(slots), activations(slots * mine.window);
  std::vector<std::int64_t> order(slots);
  std::vector<std::int32_t> focus(slots), ids(slots * mine.window);
  const Slots before{activation.data(), order.data(), focus.data(), ids.data(), activations.data(), mine.window};
  std::vector<Candidate> candidates;
  for (std::int64_t g = 0; g < groups; ++g) {
    candidates.clear();
    for (std::int64_t s = 0; s < slots; ++s) {
      before.copy(s, mine, g * slots + s);
      candidates.push_back({before.activation[s], before.order[s], &before, s});
      candidates.push_back({theirs.activation[g * slots + s], theirs.order[g * slots + s], &theirs, g * slots + s});
    }
    std::partial_sort(candidates.begin(), candidates.begin() + slots, candidates.end(), better);
    for (std::int64_t s = 0; s < slots; ++s) {
      const Candidate& c = candidates[static_cast<std::size_t>(s)];
      mine.copy(g * slots + s, *c.from, c.at);
    }
  }
}

}  // namespace

FeatureStatistics::FeatureStatistics(const StatisticsShape& shape) : shape_(shape) {
  const std::int64_t F = shape.features, K = shape.top_examples, W = shape.window();
  const std::int64_t I = shape.intervals, E = shape.interval_examples;
  const auto i32 = torch::kInt32, i64 = torch::kInt64, f32 = torch::kFloat32;
  state_["count"] = torch::zeros({F}, i64);
  state_["sum"] = torch::zeros({F}, torch::kFloat64);
  state_["max"] = torch::zeros({F}, f32);
  state_["top_activation"] = torch::full({F, K}, -1.0f, f32);  // -1: empty slot
  state_["top_position"] = torch::full({F, K}, kNoOrder, i64);
  state_["top_focus"] = torch::zeros({F, K}, i32);
  state_["top_ids"] = torch::full({F, K, W}, -1, i32);          // -1: outside the context
  state_["top_activations"] = torch::zeros({F, K, W}, f32);
  state_["histogram"] = torch::zeros({F, shape.histogram_bins}, i64);
  state_["interval_seen"] = torch::zeros({F, I}, i64);
  state_["interval_activation"] = torch::full({F, I, E}, -1.0f, f32);
  state_["interval_key"] = torch::full({F, I, E}, kNoOrder, i64);
  state_["interval_focus"] = torch::zeros({F, I, E}, i32);
  state_["interval_ids"] = torch::full({F, I, E, W}, -1, i32);
  state_["interval_activations"] = torch::zeros({F, I, E, W}, f32);
  const std::int64_t M = shape.near_misses;
  state_["trigger"] = torch::full({F}, -1, i64);  // -1: none (a feature that never fired)
  state_["near_activation"] = torch::full({F, M}, -1.0f, f32);  // 0 where a near miss is kept
  state_["near_key"] = torch::full({F, M}, kNoOrder, i64);
  state_["near_focus"] = torch::zeros({F, M}, i32);
  state_["near_ids"] = torch::full({F, M, W}, -1, i32);
  state_["near_activations"] = torch::zeros({F, M, W}, f32);
  refresh();
}

std::vector<std::string> FeatureStatistics::gathered_by(Pass pass) {
  if (pass == Pass::kFirst)
    return {"count", "sum", "max", "top_activation", "top_position", "top_focus", "top_ids", "top_activations"};
  return {"histogram",      "interval_seen",   "interval_activation", "interval_key", "interval_focus",
          "interval_ids",   "interval_activations", "near_activation", "near_key",     "near_focus",
          "near_ids",       "near_activations"};
}

void FeatureStatistics::clear(Pass pass) {
  const FeatureStatistics empty(shape_);
  for (const auto& name : gathered_by(pass)) state_.at(name).copy_(empty.state_.at(name));
  refresh();
}

void FeatureStatistics::merge(const torch_training::TensorMap& other, Pass pass) {
  const std::int64_t F = shape_.features;
  if (pass == Pass::kFirst) {
    state_.at("count").add_(other.at("count"));
    state_.at("sum").add_(other.at("sum"));
    state_.at("max").copy_(torch::maximum(state_.at("max"), other.at("max")));
    merge_slots(Slots::of(state_, "top", "position"), Slots::of(other, "top", "position"), F, shape_.top_examples,
                true);
  } else {
    state_.at("histogram").add_(other.at("histogram"));
    state_.at("interval_seen").add_(other.at("interval_seen"));
    merge_slots(Slots::of(state_, "interval", "key"), Slots::of(other, "interval", "key"), F * shape_.intervals,
                shape_.interval_examples, false);
    merge_slots(Slots::of(state_, "near", "key"), Slots::of(other, "near", "key"), F, shape_.near_misses, false);
  }
  refresh();
}

void FeatureStatistics::refresh() {
  lowest_slot_.assign(static_cast<std::size_t>(shape_.features), 0);
  for (std::int64_t f = 0; f < shape_.features; ++f) refresh_lowest_top(f);
  refresh_triggers();
}

void FeatureStatistics::refresh_triggers() {
  triggered_.clear();
  const auto* trigger = state_.at("trigger").data_ptr<std::int64_t>();
  for (std::int64_t f = 0; f < shape_.features; ++f)
    if (trigger[f] >= 0) triggered_[static_cast<std::int32_t>(trigger[f])].push_back(f);
}

// The token of the strongest top example (ties: the earlier token).
void FeatureStatistics::choose_triggers() {
  const std::int64_t K = shape_.top_examples, W = shape_.window();
  const auto* top = state_.at("top_activation").data_ptr<float>();
  const auto* position = state_.at("top_position").data_ptr<std::int64_t>();
  const auto* focus = state_.at("top_focus").data_ptr<std::int32_t>();
  const auto* ids = state_.at("top_ids").data_ptr<std::int32_t>();
  auto* trigger = state_.at("trigger").data_ptr<std::int64_t>();
  for (std::int64_t f = 0; f < shape_.features; ++f) {
    std::int64_t best = 0;
    for (std::int64_t k = 1; k < K; ++k) {
      const std::int64_t a = f * K + k, b = f * K + best;
      if (top[a] > top[b] || (top[a] == top[b] && position[a] < position[b])) best = k;
    }
    const std::int64_t slot = f * K + best;
    trigger[f] = top[slot] > 0 ? ids[slot * W + focus[slot]] : -1;
  }
  refresh_triggers();
}

// The slot a better example replaces: the smallest activation, of those
// the latest token.
void FeatureStatistics::refresh_lowest_top(std::int64_t feature) {
  const std::int64_t K = shape_.top_examples;
  const float* top = state_.at("top_activation").data_ptr<float>() + feature * K;
  const std::int64_t* position = state_.at("top_position").data_ptr<std::int64_t>() + feature * K;
  std::int64_t lowest = 0;
  for (std::int64_t k = 1; k < K; ++k)
    if (top[k] < top[lowest] || (top[k] == top[lowest] && position[k] > position[lowest])) lowest = k;
  lowest_slot_[static_cast<std::size_t>(feature)] = static_cast<std::int32_t>(lowest);
}

// Tokens come in increasing position, so a tie with the weakest kept example
// loses to it: the earlier token stays.
void FeatureStatistics::first_pass(const CodedBatch& batch) {
  const std::int64_t F = shape_.features, K = shape_.top_examples;
  auto* count = state_.at("count").data_ptr<std::int64_t>();
  auto* sum = state_.at("sum").data_ptr<double>();
  auto* max = state_.at("max").data_ptr<float>();
  const Slots top = Slots::of(state_, "top", "position");
  for (std::int64_t c = 0; c < batch.contexts; ++c)
    for (std::int64_t t = 0; t < batch.length; ++t) {
      const float* codes = batch.codes + (c * batch.length + t) * F;
      for (std::int64_t f = 0; f < F; ++f) {
        const float a = codes[f];
        if (a <= 0.0f) continue;
        ++count[f];
        sum[f] += a;
        max[f] = std::max(max[f], a);
        const std::int64_t slot = f * K + lowest_slot_[static_cast<std::size_t>(f)];
        if (a <= top.activation[slot]) continue;
        top.activation[slot] = a;
        top.order[slot] = batch.first_position + c * batch.length + t;
        record_window(shape_, batch, c, t, f, top, slot);
        refresh_lowest_top(f);
      }
    }
}

// Each interval keeps the activations with the smallest sample keys: every
// activation in it is equally likely to be kept.
void FeatureStatistics::second_pass(const CodedBatch& batch) {
  const std::int64_t F = shape_.features, B = shape_.histogram_bins;
  const std::int64_t I = shape_.intervals, E = shape_.interval_examples;
  const auto* max = state_.at("max").data_ptr<float>();
  auto* histogram = state_.at("histogram").data_ptr<std::int64_t>();
  auto* seen = state_.at("interval_seen").data_ptr<std::int64_t>();
  const Slots samples = Slots::of(state_, "interval", "key");
  for (std::int64_t c = 0; c < batch.contexts; ++c)
    for (std::int64_t t = 0; t < batch.length; ++t) {
      const float* codes = batch.codes + (c * batch.length + t) * F;
      for (std::int64_t f = 0; f < F; ++f) {
        const float a = codes[f];
        if (a <= 0.0f) continue;
        const float share = a / max[f];
        histogram[f * B + std::min<std::int64_t>(B - 1, static_cast<std::int64_t>(share * B))]++;
        const std::int64_t interval = f * I + std::min<std::int64_t>(I - 1, static_cast<std::int64_t>(share * I));
        ++seen[interval];
        const std::int64_t key = sample_key(batch.seed, batch.first_position + c * batch.length + t, f, F);
        const std::int64_t slot = sampled_slot(samples.order + interval * E, E, key);
        if (slot < 0) continue;
        const std::int64_t at = interval * E + slot;
        samples.activation[at] = a;
        samples.order[at] = key;
        record_window(shape_, batch, c, t, f, samples, at);
      }
    }
  sample_near_misses(batch);
}

// Where a feature's trigger token appears and the feature is silent.
void FeatureStatistics::sample_near_misses(const CodedBatch& batch) {
  const std::int64_t F = shape_.features, M = shape_.near_misses;
  if (M == 0) return;
  const Slots near = Slots::of(state_, "near", "key");
  // Another stream of draws than the intervals': a near miss is a silent token.
  const std::uint64_t seed = mix(batch.seed ^ 0x6E656172ULL);
  for (std::int64_t c = 0; c < batch.contexts; ++c)
    for (std::int64_t t = 0; t < batch.length; ++t) {
      const auto found = triggered_.find(batch.ids[c * batch.length + t]);
      if (found == triggered_.end()) continue;
      for (const std::int64_t f : found->second) {
        if (batch.codes[(c * batch.length + t) * F + f] != 0.0f) continue;
        const std::int64_t key = sample_key(seed, batch.first_position + c * batch.length + t, f, F);
        const std::int64_t slot = sampled_slot(near.order + f * M, M, key);
        if (slot < 0) continue;
        const std::int64_t at = f * M + slot;
        near.activation[at] = 0.0f;
        near.order[at] = key;
        record_window(shape_, batch, c, t, f, near, at);
      }
    }
}

}  // namespace feature_analysis

#include "feature_hierarchy.h"

#include <algorithm>
#include <numeric>

#include "fast_random.h"

namespace synthetic {

FeatureHierarchy FeatureHierarchy::generate(const SyntheticConfig& config, std::uint64_t seed) {
  const std::int64_t n = config.num_features;
  std::vector<std::int64_t> parent(static_cast<std::size_t>(n), -1);
  std::vector<std::uint8_t> exclusive(static_cast<std::size_t>(n), 0);
  std::int64_t next = 0;
  std::vector<std::pair<std::int64_t, std::int64_t>> level, parents_with_depth;  // (feature, depth)
  for (std::int64_t r = 0; r < config.root_nodes && next < n; ++r) level.push_back({next++, 0});
  while (!level.empty()) {
    std::vector<std::pair<std::int64_t, std::int64_t>> deeper;
    for (const auto& [feature, depth] : level) {
      parents_with_depth.push_back({feature, depth});
      if (depth >= config.max_depth) continue;
      for (std::int64_t b = 0; b < config.branching && next < n; ++b) {
        parent[static_cast<std::size_t>(next)] = feature;
        deeper.push_back({next++, depth + 1});
      }
    }
    level = std::move(deeper);
  }
  FeatureHierarchy forest = from_parents(std::move(parent), std::move(exclusive));
  // As SynthSAEBench: a portion of the eligible parents (>= 2 children, deep
  // enough), sampled without replacement, get mutually exclusive children.
  std::vector<std::int64_t> eligible;
  for (const auto& [feature, depth] : parents_with_depth)
    if (depth >= config.mutually_exclusive_min_depth && forest.child_count[static_cast<std::size_t>(feature)] >= 2)
      eligible.push_back(feature);
  const auto chosen = static_cast<std::size_t>(static_cast<double>(eligible.size()) * config.mutually_exclusive_portion);
  FastRandom rng(seed, 3, 0);
  for (std::size_t i = 0; i < chosen; ++i) {  // partial Fisher-Yates
    std::swap(eligible[i], eligible[i + rng.below(eligible.size() - i)]);
    forest.exclusive_children[static_cast<std::size_t>(eligible[i])] = 1;
  }
  return forest;
}

FeatureHierarchy FeatureHierarchy::from_parents(std::vector<std::int64_t> parent, std::vector<std::uint8_t> exclusive) {
  FeatureHierarchy forest;
  const std::size_t n = parent.size();
  forest.first_child.assign(n, 0);
  forest.child_count.assign(n, 0);
  for (std::size_t f = 0; f < n; ++f) {
    const std::int64_t p = parent[f];
    if (p < 0) continue;
    auto& count = forest.child_count[static_cast<std::size_t>(p)];
    if (count == 0) forest.first_child[static_cast<std::size_t>(p)] = static_cast<std::int64_t>(f);
    ++count;
  }
  forest.parent = std::move(parent);
  forest.exclusive_children = std::move(exclusive);
  return forest;
}

std::int64_t FeatureHierarchy::features_in_forest() const {
  std::int64_t count = 0;
  for (std::size_t f = 0; f < parent.size(); ++f) count += parent[f] >= 0 || child_count[f] > 0;
  return count;
}

std::vector<double> FeatureHierarchy::probability_correction(const std::vector<double>& base) const {
  std::vector<double> factor(base.size(), 1.0);
  for (std::size_t f = 0; f < base.size(); ++f) {
    const std::int64_t p = parent[f];
    if (p < 0) continue;
    const double parent_prob = base[static_cast<std::size_t>(p)];
    factor[f] = 1.0 / parent_prob;
    if (exclusive_children[static_cast<std::size_t>(p)]) {
      const auto begin = static_cast<std::size_t>(first_child[static_cast<std::size_t>(p)]);
      const auto end = begin + static_cast<std::size_t>(child_count[static_cast<std::size_t>(p)]);
      const double siblings = std::accumulate(base.begin() + begin, base.begin() + end, 0.0);
      factor[f] *= 1.0 + std::max(0.0, siblings - base[f]) / parent_prob;
    }
  }
  return factor;
}

}  // namespace synthetic

#pragma once

// SynthSAEBench's generated forest (sae_lens/synthetic/hierarchy: generate_hierarchy):
// `roots` root features, each non-leaf with `branching` children down to
// depth max_depth, feature indices handed out breadth first (so a parent's
// index is below its children's and siblings are contiguous). A child fires
// only when its parent fires; the children of a mutually exclusive parent
// keep at most one active (chosen uniformly among the active ones).

#include <cstdint>
#include <vector>

#include "synthetic_config.h"

namespace synthetic {

struct FeatureHierarchy {
  std::vector<std::int64_t> parent;             // -1 for roots and free features
  std::vector<std::uint8_t> exclusive_children;  // 1 where a parent's children are mutually exclusive
  std::vector<std::int64_t> first_child;        // children of f: [first_child[f], first_child[f] + child_count[f])
  std::vector<std::int64_t> child_count;

  // Builds the forest; which parents are mutually exclusive is drawn with `seed`.
  static FeatureHierarchy generate(const SyntheticConfig& config, std::uint64_t seed);
  // Rebuilds first_child/child_count from `parent` (after loading).
  static FeatureHierarchy from_parents(std::vector<std::int64_t> parent, std::vector<std::uint8_t> exclusive);

  std::int64_t features_in_forest() const;
  // SynthSAEBench's compensate_probabilities: the factor that brings each
  // feature's effective rate back to its base probability, 1/p(parent) times
  // (1 + Σ other exclusive siblings' p / p(parent)).
  std::vector<double> probability_correction(const std::vector<double>& base) const;
};

}  // namespace synthetic

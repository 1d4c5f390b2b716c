#pragma once

// The knobs of a synthetic ground-truth world, after SAELens' SynthSAEBench
// (sae_lens/synthetic/, docs/synth_sae_bench.md). The defaults are those of
// SynthSAEBench-16k, so a stage that sets nothing builds a world of its size
// and statistics (not its bytes: the random streams differ from torch's).

#include <cstdint>
#include <nlohmann/json.hpp>

namespace synthetic {

struct SyntheticConfig {
  std::int64_t num_features = 16384;
  std::int64_t hidden_dim = 768;
  // Zipf profile: p_i ∝ 1/(i+1)^exponent, min-max scaled onto [min_prob, max_prob].
  double zipf_exponent = 0.5;
  double max_prob = 0.4;
  double min_prob = 5e-4;
  // Mean magnitude linear from the most to the least frequent feature; std
  // per feature drawn once from |N(std_mean, std_std²)|.
  double magnitude_mean_start = 5.0;
  double magnitude_mean_end = 4.0;
  double magnitude_std_mean = 0.5;
  double magnitude_std_std = 0.5;
  // Forest: root_nodes roots, each non-leaf with `branching` children, leaves
  // at depth max_depth; features are given out breadth first, so roots are
  // the most frequent features. 0 roots: no hierarchy.
  std::int64_t root_nodes = 128;
  std::int64_t branching = 4;
  std::int64_t max_depth = 3;
  double mutually_exclusive_portion = 1.0;  // of parents, at depth >= mutually_exclusive_min_depth
  std::int64_t mutually_exclusive_min_depth = 0;
  bool compensate_probabilities = true;
  bool scale_children_by_parent = true;
  // Low-rank Gaussian-copula correlation of firing; rank 0: independent.
  std::int64_t correlation_rank = 25;
  double correlation_scale = 0.1;
  // Adam steps pushing the directions apart (0: plain random unit vectors).
  std::int64_t orthogonalize_steps = 100;
  double orthogonalize_lr = 3e-4;
  // Norm of a fixed random offset added to every activation.
  double bias_norm = 0.5;
};

nlohmann::json to_json(const SyntheticConfig& config);
// Throws dictlab::PluginError naming `where` and the key that is missing or wrong.
SyntheticConfig config_from_json(const nlohmann::json& json, const std::string& where);
// Throws dictlab::OptionError for combinations of values no world can have.
// Each option's own range is declared in config_options() (synthetic_options.h)
// and checked by the host before a stage runs; a config built in code skips it.
void validate(const SyntheticConfig& config);

}  // namespace synthetic

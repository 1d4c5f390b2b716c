#pragma once

// Everything that defines one synthetic world, built once from (config, seed)
// and saved beside the activations (ground_truth.safetensors + synthetic.json)
// so that evaluators read the very directions the activations were made of.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

#include "feature_hierarchy.h"
#include "synthetic_config.h"

namespace synthetic {

struct GroundTruth {
  SyntheticConfig config;
  std::uint64_t seed = 0;
  std::vector<float> directions;          // [num_features, hidden_dim], unit rows
  std::vector<float> bias;                // [hidden_dim]
  std::vector<double> base_probability;   // the Zipf profile, what each feature should fire at
  std::vector<double> sampling_probability;  // after hierarchy compensation, clamped to 1
  std::vector<float> mean_magnitude;
  std::vector<float> std_magnitude;
  FeatureHierarchy hierarchy;
  std::vector<float> correlation_factor;  // [correlation_rank, num_features] (transposed: rows vectorise)
  std::vector<float> correlation_diag;    // [num_features]: 1 - Σ_k factor², so each latent has unit variance

  std::int64_t n() const { return config.num_features; }
  std::int64_t d() const { return config.hidden_dim; }

  // `progress(step, steps)` is called during orthogonalisation, the slow part.
  static GroundTruth build(const SyntheticConfig& config, std::uint64_t seed,
                           const std::function<void(std::int64_t, std::int64_t)>& progress = {});
  void save(const std::filesystem::path& dir) const;
  static GroundTruth load(const std::filesystem::path& dir);
  static bool exists_in(const std::filesystem::path& dir);
};

// The firing profile and magnitudes as SynthSAEBench makes them (exposed for tests).
std::vector<double> zipf_probabilities(std::int64_t n, double exponent, double max_prob, double min_prob);

}  // namespace synthetic

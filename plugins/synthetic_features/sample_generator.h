#pragma once

// Draws samples of a GroundTruth world: which features fire (Gaussian copula
// over the low-rank correlation, thresholded at each feature's sampling
// probability), how strongly (N(mean, std²), clipped at 0), then the
// hierarchy (children gated, optionally scaled, by their parent; mutually
// exclusive siblings reduced to one). The activation is bias + Σ a_f·e_f.
// Sample `index` of `stream` depends on nothing else, so shards can be made
// in any order, on any number of threads, and remade after a stop.

#include <cstdint>
#include <vector>

#include "ground_truth.h"
#include "normal_tail.h"

namespace synthetic {

class FastRandom;

// The streams samples are drawn from: what dictionaries train on, and fresh
// held-out samples for evaluation.
enum SampleStream : std::uint64_t { kTrainStream = 0, kHeldOutStream = 1 };

struct SparseCode {
  std::vector<std::int32_t> features;  // ascending
  std::vector<float> values;           // > 0
};

class SampleGenerator {
 public:
  explicit SampleGenerator(const GroundTruth& truth);

  // One thread's scratch space; reuse it across samples.
  struct Workspace {
    std::vector<float> latent;  // the copula's low-rank part F·r, per feature
    std::vector<float> value;   // dense magnitudes, zero outside the sample
    std::vector<std::uint32_t> resolved;  // per parent: last sample tag whose exclusive children were resolved
    std::uint32_t tag = 0;
    std::vector<std::int32_t> fired;
  };
  Workspace workspace() const;

  void codes(std::uint64_t stream, std::uint64_t index, Workspace& work, SparseCode& out) const;
  // bias + Σ value·direction into `activation` [hidden_dim].
  void activation(const SparseCode& code, float* activation) const;

 private:
  void fire(Workspace& work, FastRandom& rng) const;
  void apply_hierarchy(Workspace& work, FastRandom& rng) const;

  const GroundTruth& truth_;
  std::vector<float> threshold_;    // Φ⁻¹(1 − p) of each feature's sampling probability
  std::vector<float> inverse_sd_;   // 1 / sqrt(correlation_diag)
  NormalTail tail_;
};

}  // namespace synthetic

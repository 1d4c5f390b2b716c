#pragma once

// What SynthSAEBench reports for a dictionary against the true features
// (sae_lens/synthetic/evals.py, eval_sae_on_synthetic_data), with the same
// definitions:
//  - MCC: |cosine| between every learned decoder direction and every true
//    direction; the optimal one-to-one matching (Hungarian, as scipy's
//    linear_sum_assignment on 1 − |cos|); the mean |cos| over matched pairs
//    (min(d_sae, n_true) pairs).
//  - uniqueness: distinct true features among the latents' best matches
//    (argmax |cos| per latent), divided by d_sae.
//  - precision/recall/F1: each latent is a classifier (fires: value > 0) of
//    its best-matching true feature (active: value > 0), counted over the
//    held-out samples; per-latent precision, recall and F1 (0 where
//    undefined) averaged over all latents, dead ones included.
//  - explained variance: 1 − E‖x − x̂‖² / (E‖x‖² − ‖E x‖²).
//  - L0 (latents > 0 per sample), dead latents (never > 0), shrinkage
//    (mean ‖x̂‖/‖x‖ over samples with ‖x‖ > 1e-6), true L0.

#include <cstdint>
#include <vector>

#include "sample_generator.h"

namespace synthetic {

struct DirectionScores {
  double mcc = 0;
  double uniqueness = 0;
  std::vector<std::int64_t> best_match;  // per latent: its true feature of largest |cos|
  std::vector<float> best_cosine;        // that |cos|
};

// learned [d_sae, d] and truth [n_true, d], row-major; rows need not be unit.
DirectionScores score_directions(const std::vector<float>& learned, std::int64_t d_sae, const std::vector<float>& truth,
                                 std::int64_t n_true, std::int64_t d);

struct RecoveryReport {
  double mcc = 0, uniqueness = 0;
  double f1 = 0, precision = 0, recall = 0;
  double explained_variance = 0, shrinkage = 0;
  double l0 = 0, true_l0 = 0;
  std::int64_t dead_latents = 0;
  double dead_fraction = 0;
  std::int64_t samples = 0;
};

// Counts over held-out samples, one at a time.
class RecoveryAccumulator {
 public:
  RecoveryAccumulator(const DirectionScores& directions, std::int64_t n_true, std::int64_t d);
  void add(const float* x, const SparseCode& truth, const float* latents, const float* reconstruction);
  RecoveryReport report() const;

 private:
  DirectionScores directions_;
  std::int64_t d_sae_, d_;
  std::vector<std::vector<std::int32_t>> latents_of_;  // per true feature: latents whose best match it is
  std::vector<std::uint32_t> active_tag_;              // per true feature: the sample it was last active in
  std::uint32_t tag_ = 0;
  std::vector<std::int64_t> true_positive_, fired_, truth_active_;
  std::vector<double> sum_x_;
  double sum_squared_norm_ = 0, sum_squared_residual_ = 0, shrinkage_sum_ = 0;
  std::int64_t shrinkage_count_ = 0, samples_ = 0, latent_count_ = 0, true_count_ = 0;
};

}  // namespace synthetic

#pragma once

#include <cstdint>
#include <vector>

namespace sae_metrics {

// How well a dictionary reconstructs activations, and how sparsely: SAEBench's
// core reconstruction, shrinkage and sparsity figures, over every token added.
struct ReconstructionSummary {
  double tokens = 0;
  double mse = 0;  // per element
  // 1 - Σ‖x − x̂‖² / Σ‖x − mean(x)‖², the mean taken per dimension over all
  // tokens: a dictionary that outputs the mean explains nothing.
  double variance_explained = 0;
  double cosine_similarity = 0;  // mean over tokens of cos(x̂, x); 0 where either is 0
  // Mean over tokens of ‖x̂‖ / ‖x‖ (SAEBench divides by 1 where ‖x‖ < 1e-4).
  double l2_ratio = 0;
  // Σ‖x̂‖² / Σ x̂·x, the inverse of the γ minimising Σ‖γ·x̂ − x‖² (Wright &
  // Sharkey; SAEBench's relative_reconstruction_bias): below 1, shrinkage.
  double relative_reconstruction_bias = 0;
  double l0 = 0;  // mean nonzero codes per token
  double l1 = 0;  // mean Σ|f| per token
  double alive_ratio = 0;  // share of features nonzero on at least one token
  std::vector<double> fired;  // per feature, the tokens on which it was nonzero
};

class ReconstructionFit {
 public:
  ReconstructionFit(std::int64_t d_in, std::int64_t d_sae);

  // x and x_hat: [rows, d_in]; codes: [rows, d_sae]; row-major.
  void add(const float* x, const float* x_hat, const float* codes, std::int64_t rows);
  ReconstructionSummary summary() const;

  // Every sum as one flat vector (the sums about x taken about `shift`), and
  // back: ranks that measured disjoint tokens add their vectors, taken about
  // the same shift, into the fit of all of them.
  std::vector<double> sums(const std::vector<double>& shift) const;
  void set_sums(const std::vector<double>& sums, const std::vector<double>& shift);
  const std::vector<double>& shift() const { return shift_; }  // empty before the first batch

 private:
  void add_row(const float* x, const float* x_hat);

  std::int64_t d_in_, d_sae_;
  // The mean of the first batch. Sums of x − shift keep their precision when
  // the activations share a large offset (residual streams often do), where
  // Σ‖x‖² − N‖mean‖² would cancel catastrophically; a batch mean rather than
  // one row, since the first position of a context is often an outlier.
  std::vector<double> shift_;
  std::vector<double> shifted_sum_;
  std::vector<double> fired_;
  double rows_ = 0, shifted_squares_ = 0, squared_error_ = 0, cosine_ = 0, l2_ratio_ = 0;
  double hat_squares_ = 0, hat_dot_x_ = 0, active_ = 0, l1_ = 0;
};

}  // namespace sae_metrics

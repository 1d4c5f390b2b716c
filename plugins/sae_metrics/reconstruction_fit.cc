#include "reconstruction_fit.h"

#include <algorithm>
#include <cmath>

namespace sae_metrics {

ReconstructionFit::ReconstructionFit(std::int64_t d_in, std::int64_t d_sae)
    : d_in_(d_in),
      d_sae_(d_sae),
      shifted_sum_(static_cast<std::size_t>(d_in), 0.0),
      fired_(static_cast<std::size_t>(d_sae), 0.0) {}

void ReconstructionFit::add(const float* x, const float* x_hat, const float* codes, std::int64_t rows) {
  if (rows > 0 && shift_.empty()) {
    shift_.assign(static_cast<std::size_t>(d_in_), 0.0);
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t j = 0; j < d_in_; ++j) shift_[static_cast<std::size_t>(j)] += x[r * d_in_ + j];
    for (double& s : shift_) s /= static_cast<double>(rows);
  }
  for (std::int64_t r = 0; r < rows; ++r) {
    add_row(x + r * d_in_, x_hat + r * d_in_);
    const float* f = codes + r * d_sae_;
    for (std::int64_t i = 0; i < d_sae_; ++i) {
      if (f[i] == 0) continue;
      fired_[static_cast<std::size_t>(i)] += 1;
      active_ += 1;
      l1_ += std::abs(static_cast<double>(f[i]));
    }
  }
  rows_ += static_cast<double>(rows);
}

void ReconstructionFit::add_row(const float* x, const float* x_hat) {
  double error = 0, norm = 0, hat_norm = 0, dot = 0;
  for (std::int64_t j = 0; j < d_in_; ++j) {
    const auto i = static_cast<std::size_t>(j);
    const double v = x[j], h = x_hat[j];
    const double shifted = v - shift_[i];
    shifted_sum_[i] += shifted;
    shifted_squares_ += shifted * shifted;
    error += (v - h) * (v - h);
    norm += v * v;
    hat_norm += h * h;
    dot += v * h;
  }
  squared_error_ += error;
  hat_squares_ += hat_norm;
  hat_dot_x_ += dot;
  if (norm > 0 && hat_norm > 0) cosine_ += dot / std::sqrt(norm * hat_norm);
  // SAEBench's guard for (nearly) zero activations, kept so the figures compare.
  const double x_length = std::sqrt(norm);
  l2_ratio_ += std::sqrt(hat_norm) / (x_length < 1e-4 ? 1.0 : x_length);
}

ReconstructionSummary ReconstructionFit::summary() const {
  ReconstructionSummary s;
  s.tokens = rows_;
  if (rows_ == 0) return s;
  double mean_shifted_squares = 0;
  for (double sum : shifted_sum_) mean_shifted_squares += (sum / rows_) * (sum / rows_);
  const double total_variance = shifted_squares_ - rows_ * mean_shifted_squares;  // Σ‖x − mean(x)‖²
  s.mse = squared_error_ / (rows_ * static_cast<double>(d_in_));
  s.variance_explained = 1.0 - squared_error_ / total_variance;
  s.cosine_similarity = cosine_ / rows_;
  s.l2_ratio = l2_ratio_ / rows_;
  s.relative_reconstruction_bias = hat_squares_ / hat_dot_x_;
  s.l0 = active_ / rows_;
  s.l1 = l1_ / rows_;
  s.fired = fired_;
  const auto alive = std::count_if(fired_.begin(), fired_.end(), [](double count) { return count > 0; });
  s.alive_ratio = static_cast<double>(alive) / static_cast<double>(d_sae_);
  return s;
}

// Σ(x − s') = Σ(x − s) + N(s − s') and Σ‖x − s'‖² = Σ‖x − s‖² + 2(s − s')·Σ(x − s) + N‖s − s'‖².
std::vector<double> ReconstructionFit::sums(const std::vector<double>& shift) const {
  double shifted_squares = shifted_squares_;
  std::vector<double> shifted_sum = shifted_sum_;
  if (rows_ > 0)
    for (std::size_t j = 0; j < shifted_sum.size(); ++j) {
      const double moved = shift_[j] - shift[j];
      shifted_squares += 2 * moved * shifted_sum_[j] + rows_ * moved * moved;
      shifted_sum[j] += rows_ * moved;
    }
  std::vector<double> out = {rows_, shifted_squares, squared_error_, cosine_, l2_ratio_,
                             hat_squares_, hat_dot_x_, active_, l1_};
  out.insert(out.end(), shifted_sum.begin(), shifted_sum.end());
  out.insert(out.end(), fired_.begin(), fired_.end());
  return out;
}

void ReconstructionFit::set_sums(const std::vector<double>& sums, const std::vector<double>& shift) {
  double* scalars[] = {&rows_, &shifted_squares_, &squared_error_, &cosine_, &l2_ratio_,
                       &hat_squares_, &hat_dot_x_, &active_, &l1_};
  std::size_t i = 0;
  for (double* scalar : scalars) *scalar = sums[i++];
  std::copy_n(sums.begin() + static_cast<std::ptrdiff_t>(i), d_in_, shifted_sum_.begin());
  std::copy_n(sums.begin() + static_cast<std::ptrdiff_t>(i) + d_in_, d_sae_, fired_.begin());
  shift_ = shift;
}

}  // namespace sae_metrics

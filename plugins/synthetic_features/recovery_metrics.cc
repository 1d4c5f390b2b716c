#include "recovery_metrics.h"

#include <torch/torch.h>

#include <cmath>
#include <unordered_set>

#include "linear_assignment.h"

namespace synthetic {

DirectionScores score_directions(const std::vector<float>& learned, std::int64_t d_sae, const std::vector<float>& truth,
                                 std::int64_t n_true, std::int64_t d) {
  torch::NoGradGuard no_grad;
  auto unit = [d](const std::vector<float>& rows, std::int64_t n) {
    const auto t = torch::from_blob(const_cast<float*>(rows.data()), {n, d}, torch::kFloat32);
    return t / t.norm(2, 1, true).clamp_min(1e-8);
  };
  torch::Tensor cosine = torch::matmul(unit(learned, d_sae), unit(truth, n_true).t()).abs_().contiguous();
  DirectionScores scores;
  const auto [best, best_index] = cosine.max(1);
  const auto* best_cos = best.data_ptr<float>();
  const auto* best_at = best_index.data_ptr<std::int64_t>();
  scores.best_cosine.assign(best_cos, best_cos + d_sae);
  scores.best_match.assign(best_at, best_at + d_sae);
  const std::unordered_set<std::int64_t> distinct(scores.best_match.begin(), scores.best_match.end());
  scores.uniqueness = d_sae > 0 ? static_cast<double>(distinct.size()) / static_cast<double>(d_sae) : 0.0;

  std::vector<float> cost(static_cast<std::size_t>(d_sae * n_true));
  const float* cos = cosine.data_ptr<float>();
  for (std::size_t i = 0; i < cost.size(); ++i) cost[i] = 1.0f - cos[i];
  const auto column = min_cost_assignment(cost, d_sae, n_true);
  double sum = 0;
  std::int64_t pairs = 0;
  for (std::int64_t r = 0; r < d_sae; ++r) {
    if (column[static_cast<std::size_t>(r)] < 0) continue;
    sum += cos[r * n_true + column[static_cast<std::size_t>(r)]];
    ++pairs;
  }
  scores.mcc = pairs > 0 ? sum / static_cast<double>(pairs) : 0.0;
  return scores;
}

RecoveryAccumulator::RecoveryAccumulator(const DirectionScores& directions, std::int64_t n_true, std::int64_t d)
    : directions_(directions),
      d_sae_(static_cast<std::int64_t>(directions.best_match.size())),
      d_(d),
      latents_of_(static_cast<std::size_t>(n_true)),
      active_tag_(static_cast<std::size_t>(n_true), 0),
      true_positive_(static_cast<std::size_t>(d_sae_), 0),
      fired_(static_cast<std::size_t>(d_sae_), 0),
      truth_active_(static_cast<std::size_t>(d_sae_), 0),
      sum_x_(static_cast<std::size_t>(d), 0.0) {
  for (std::int64_t j = 0; j < d_sae_; ++j)
    latents_of_[static_cast<std::size_t>(directions.best_match[static_cast<std::size_t>(j)])].push_back(
        static_cast<std::int32_t>(j));
}

void RecoveryAccumulator::add(const float* x, const SparseCode& truth, const float* latents, const float* reconstruction) {
  if (++tag_ == 0) {
    std::fill(active_tag_.begin(), active_tag_.end(), 0);
    tag_ = 1;
  }
  for (const std::int32_t f : truth.features) {
    active_tag_[static_cast<std::size_t>(f)] = tag_;
    for (const std::int32_t j : latents_of_[static_cast<std::size_t>(f)]) ++truth_active_[static_cast<std::size_t>(j)];
  }
  true_count_ += static_cast<std::int64_t>(truth.features.size());
  for (std::int64_t j = 0; j < d_sae_; ++j) {
    if (!(latents[j] > 0)) continue;
    ++latent_count_;
    ++fired_[static_cast<std::size_t>(j)];
    true_positive_[static_cast<std::size_t>(j)] +=
        active_tag_[static_cast<std::size_t>(directions_.best_match[static_cast<std::size_t>(j)])] == tag_;
  }
  double norm = 0, out_norm = 0, residual = 0;
  for (std::int64_t i = 0; i < d_; ++i) {
    sum_x_[static_cast<std::size_t>(i)] += x[i];
    norm += static_cast<double>(x[i]) * x[i];
    out_norm += static_cast<double>(reconstruction[i]) * reconstruction[i];
    const double r = static_cast<double>(x[i]) - reconstruction[i];
    residual += r * r;
  }
  sum_squared_norm_ += norm;
  sum_squared_residual_ += residual;
  if (std::sqrt(norm) > 1e-6) {
    shrinkage_sum_ += std::sqrt(out_norm / norm);
    ++shrinkage_count_;
  }
  ++samples_;
}

RecoveryReport RecoveryAccumulator::report() const {
  RecoveryReport out;
  out.mcc = directions_.mcc;
  out.uniqueness = directions_.uniqueness;
  out.samples = samples_;
  if (samples_ == 0) return out;
  const auto n = static_cast<double>(samples_);
  double precision = 0, recall = 0, f1 = 0;
  for (std::int64_t j = 0; j < d_sae_; ++j) {
    const auto tp = static_cast<double>(true_positive_[static_cast<std::size_t>(j)]);
    const auto fired = static_cast<double>(fired_[static_cast<std::size_t>(j)]);
    const auto active = static_cast<double>(truth_active_[static_cast<std::size_t>(j)]);
    const double p = fired > 0 ? tp / fired : 0.0, r = active > 0 ? tp / active : 0.0;
    precision += p;
    recall += r;
    f1 += p + r > 0 ? 2 * p * r / (p + r) : 0.0;
    out.dead_latents += fired == 0;
  }
  if (d_sae_ > 0) {
    out.precision = precision / static_cast<double>(d_sae_);
    out.recall = recall / static_cast<double>(d_sae_);
    out.f1 = f1 / static_cast<double>(d_sae_);
    out.dead_fraction = static_cast<double>(out.dead_latents) / static_cast<double>(d_sae_);
  }
  double mean_norm_squared = 0;
  for (const double s : sum_x_) mean_norm_squared += (s / n) * (s / n);
  const double variance = sum_squared_norm_ / n - mean_norm_squared;
  out.explained_variance = variance < 1e-10 ? (sum_squared_residual_ < 1e-10 ? 1.0 : 0.0)
                                            : 1.0 - (sum_squared_residual_ / n) / variance;
  out.shrinkage = shrinkage_count_ > 0 ? shrinkage_sum_ / static_cast<double>(shrinkage_count_) : 0.0;
  out.l0 = static_cast<double>(latent_count_) / n;
  out.true_l0 = static_cast<double>(true_count_) / n;
  return out;
}

}  // namespace synthetic

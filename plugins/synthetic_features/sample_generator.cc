#include "sample_generator.h"

#include <cmath>
#include <limits>

#include "fast_random.h"

namespace synthetic {

SampleGenerator::SampleGenerator(const GroundTruth& truth) : truth_(truth) {
  const auto n = static_cast<std::size_t>(truth.n());
  threshold_.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    threshold_[i] = static_cast<float>(normal_quantile(1.0 - truth.sampling_probability[i]));
  if (truth.config.correlation_rank > 0) {
    inverse_sd_.resize(n);
    for (std::size_t i = 0; i < n; ++i) inverse_sd_[i] = 1.0f / std::sqrt(truth.correlation_diag[i]);
  }
}

SampleGenerator::Workspace SampleGenerator::workspace() const {
  Workspace work;
  const auto n = static_cast<std::size_t>(truth_.n());
  work.latent.assign(n, 0.0f);
  work.value.assign(n, 0.0f);
  work.resolved.assign(n, 0);
  return work;
}

void SampleGenerator::fire(Workspace& work, FastRandom& rng) const {
  const std::int64_t n = truth_.n(), rank = truth_.config.correlation_rank;
  work.fired.clear();
  if (rank == 0) {
    for (std::int64_t i = 0; i < n; ++i)
      if (rng.uniform() < truth_.sampling_probability[static_cast<std::size_t>(i)])
        work.fired.push_back(static_cast<std::int32_t>(i));
    return;
  }
  // The copula: latent = F·r + sqrt(diag)·ε has unit variance and the
  // low-rank correlation; a feature fires where it exceeds t = Φ⁻¹(1 − p),
  // that is where ε > (t − F·r)/sqrt(diag), decided from one uniform draw.
  float* latent = work.latent.data();
  std::fill(latent, latent + n, 0.0f);
  for (std::int64_t k = 0; k < rank; ++k) {
    const float r = static_cast<float>(rng.normal());
    const float* row = truth_.correlation_factor.data() + k * n;
    for (std::int64_t i = 0; i < n; ++i) latent[i] += row[i] * r;
  }
  for (std::int64_t i = 0; i < n; ++i) {
    const auto at = static_cast<std::size_t>(i);
    if (tail_.exceeds((threshold_[at] - latent[i]) * inverse_sd_[at], rng.uniform()))
      work.fired.push_back(static_cast<std::int32_t>(i));
  }
}

void SampleGenerator::apply_hierarchy(Workspace& work, FastRandom& rng) const {
  const auto& forest = truth_.hierarchy;
  float* value = work.value.data();
  if (++work.tag == 0) {  // the tag wrapped: forget every old mark
    std::fill(work.resolved.begin(), work.resolved.end(), 0);
    work.tag = 1;
  }
  // Ascending order visits a parent (a lower index) before its children, so
  // each parent's value is final when its children read it.
  for (const std::int32_t f : work.fired) {
    if (value[f] <= 0) continue;
    const std::int64_t p = forest.parent[static_cast<std::size_t>(f)];
    if (p < 0) continue;
    if (value[p] <= 0) {
      value[f] = 0;
      continue;
    }
    if (forest.exclusive_children[static_cast<std::size_t>(p)] && work.resolved[static_cast<std::size_t>(p)] != work.tag) {
      work.resolved[static_cast<std::size_t>(p)] = work.tag;
      const std::int64_t begin = forest.first_child[static_cast<std::size_t>(p)];
      const std::int64_t end = begin + forest.child_count[static_cast<std::size_t>(p)];
      std::int64_t active = 0;
      for (std::int64_t c = begin; c < end; ++c) active += value[c] > 0;
      std::int64_t keep = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(active)));
      for (std::int64_t c = begin; c < end; ++c)
        if (value[c] > 0 && keep-- != 0) value[c] = 0;
      if (value[f] <= 0) continue;
    }
    if (truth_.config.scale_children_by_parent) value[f] *= value[p] / truth_.mean_magnitude[static_cast<std::size_t>(p)];
  }
}

void SampleGenerator::codes(std::uint64_t stream, std::uint64_t index, Workspace& work, SparseCode& out) const {
  FastRandom rng(truth_.seed, stream, index);
  fire(work, rng);
  float* value = work.value.data();
  for (const std::int32_t f : work.fired) {
    const double magnitude = truth_.mean_magnitude[static_cast<std::size_t>(f)] +
                             truth_.std_magnitude[static_cast<std::size_t>(f)] * rng.normal();
    value[f] = magnitude > 0 ? static_cast<float>(magnitude) : 0.0f;
  }
  apply_hierarchy(work, rng);
  out.features.clear();
  out.values.clear();
  for (const std::int32_t f : work.fired) {
    if (value[f] > 0) {
      out.features.push_back(f);
      out.values.push_back(value[f]);
    }
    value[f] = 0;
  }
}

void SampleGenerator::activation(const SparseCode& code, float* activation) const {
  const std::int64_t d = truth_.d();
  std::copy(truth_.bias.begin(), truth_.bias.end(), activation);
  for (std::size_t k = 0; k < code.features.size(); ++k) {
    const float* direction = truth_.directions.data() + static_cast<std::int64_t>(code.features[k]) * d;
    const float a = code.values[k];
    for (std::int64_t j = 0; j < d; ++j) activation[j] += a * direction[j];
  }
}

}  // namespace synthetic

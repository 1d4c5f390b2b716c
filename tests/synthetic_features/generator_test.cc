// The synthetic generator against what its config asks for: firing rates
// (binomial tolerance), the hierarchy's rules, the copula's marginals,
// determinism per (seed, stream, index), and a save/load round trip.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>

#include "fast_random.h"
#include "ground_truth.h"
#include "normal_tail.h"
#include "orthogonalize.h"
#include "sample_generator.h"

namespace synthetic {
namespace {

SyntheticConfig tiny_config() {
  SyntheticConfig c;
  c.num_features = 80;
  c.hidden_dim = 32;
  c.max_prob = 0.5;
  c.min_prob = 0.05;
  c.root_nodes = 4;  // 4 + 12 + 36 = 52 features in the forest, 28 free
  c.branching = 3;
  c.max_depth = 2;
  c.correlation_rank = 4;
  c.orthogonalize_steps = 0;
  return c;
}

// Per-feature firing counts over `samples` samples of the train stream.
std::vector<std::int64_t> firing_counts(const GroundTruth& truth, std::int64_t samples) {
  const SampleGenerator generator(truth);
  auto work = generator.workspace();
  SparseCode code;
  std::vector<std::int64_t> counts(static_cast<std::size_t>(truth.n()), 0);
  for (std::int64_t i = 0; i < samples; ++i) {
    generator.codes(kTrainStream, static_cast<std::uint64_t>(i), work, code);
    for (const auto f : code.features) ++counts[static_cast<std::size_t>(f)];
  }
  return counts;
}

// |rate − p| within 4.5 binomial standard deviations.
void expect_rates(const std::vector<std::int64_t>& counts, const std::vector<double>& p, std::int64_t samples,
                  const std::vector<bool>& which) {
  for (std::size_t f = 0; f < counts.size(); ++f) {
    if (!which[f]) continue;
    const double rate = static_cast<double>(counts[f]) / static_cast<double>(samples);
    const double sd = std::sqrt(p[f] * (1 - p[f]) / static_cast<double>(samples));
    EXPECT_NEAR(rate, p[f], 4.5 * sd) << "feature " << f;
  }
}

TEST(SyntheticGenerator, ZipfProfileIsSynthSaeBenchs) {
  const auto p = zipf_probabilities(16384, 0.5, 0.4, 5e-4);
  EXPECT_DOUBLE_EQ(p.front(), 0.4);
  EXPECT_NEAR(p.back(), 5e-4, 1e-15);
  // min + (max − min)·(r^−a − n^−a)/(1 − n^−a), computed here directly at rank 100.
  const double lowest = 1.0 / std::sqrt(16384.0);
  EXPECT_NEAR(p[99], 5e-4 + (0.4 - 5e-4) * (0.1 - lowest) / (1 - lowest), 1e-12);
}

TEST(SyntheticGenerator, IndependentFeaturesFireAtTheirProbability) {
  auto config = tiny_config();
  config.root_nodes = 0;
  config.correlation_rank = 0;
  const auto truth = GroundTruth::build(config, 7);
  constexpr std::int64_t kSamples = 6000;
  expect_rates(firing_counts(truth, kSamples), truth.base_probability, kSamples,
               std::vector<bool>(static_cast<std::size_t>(config.num_features), true));
}

TEST(SyntheticGenerator, CorrelatedFiringKeepsTheMarginals) {
  auto config = tiny_config();
  config.root_nodes = 0;
  config.correlation_scale = 0.4;  // strong, so a wrong copula would show
  const auto truth = GroundTruth::build(config, 8);
  constexpr std::int64_t kSamples = 6000;
  expect_rates(firing_counts(truth, kSamples), truth.base_probability, kSamples,
               std::vector<bool>(static_cast<std::size_t>(config.num_features), true));
}

TEST(SyntheticGenerator, CompensatedHierarchyWithoutExclusionFiresAtBaseRates) {
  // Without exclusion, compensation is exact: p(child) = p(parent)·p(child)/p(parent).
  auto config = tiny_config();
  config.mutually_exclusive_portion = 0;
  config.correlation_rank = 0;
  config.max_prob = 0.9;  // children's sampling probabilities stay below 1
  config.min_prob = 0.3;
  const auto truth = GroundTruth::build(config, 9);
  for (const double p : truth.sampling_probability) ASSERT_LT(p, 1.0);
  constexpr std::int64_t kSamples = 6000;
  expect_rates(firing_counts(truth, kSamples), truth.base_probability, kSamples,
               std::vector<bool>(static_cast<std::size_t>(config.num_features), true));
}

TEST(SyntheticGenerator, NoChildWithoutItsParentAndAtMostOneExclusiveSibling) {
  const auto truth = GroundTruth::build(tiny_config(), 10);
  const auto& forest = truth.hierarchy;
  EXPECT_EQ(forest.features_in_forest(), 52);
  std::int64_t exclusive_parents = 0;
  for (const auto e : forest.exclusive_children) exclusive_parents += e;
  EXPECT_EQ(exclusive_parents, 16);  // portion 1.0 of the 4 + 12 parents
  const SampleGenerator generator(truth);
  auto work = generator.workspace();
  SparseCode code;
  std::int64_t children_seen = 0;
  for (std::uint64_t i = 0; i < 4000; ++i) {
    generator.codes(kTrainStream, i, work, code);
    std::vector<int> active(static_cast<std::size_t>(truth.n()), 0);
    for (const auto f : code.features) active[static_cast<std::size_t>(f)] = 1;
    for (const auto f : code.features) {
      const auto p = forest.parent[static_cast<std::size_t>(f)];
      if (p < 0) continue;
      ++children_seen;
      ASSERT_TRUE(active[static_cast<std::size_t>(p)]) << "feature " << f << " without parent " << p << " in sample " << i;
    }
    for (std::int64_t p = 0; p < truth.n(); ++p) {
      if (!forest.exclusive_children[static_cast<std::size_t>(p)]) continue;
      int on = 0;
      for (std::int64_t c = 0; c < forest.child_count[static_cast<std::size_t>(p)]; ++c)
        on += active[static_cast<std::size_t>(forest.first_child[static_cast<std::size_t>(p)] + c)];
      ASSERT_LE(on, 1) << "parent " << p << " in sample " << i;
    }
  }
  EXPECT_GT(children_seen, 1000);
}

// Correlation of each depth-1 child's value with its root parent's value:
// magnitudes are drawn independently, so only the scaling couples them.
double parent_child_correlation(bool scale) {
  auto config = tiny_config();
  config.magnitude_std_std = 0;  // every feature's magnitude std is exactly 0.5
  config.scale_children_by_parent = scale;
  const auto truth = GroundTruth::build(config, 11);
  const SampleGenerator generator(truth);
  auto work = generator.workspace();
  SparseCode code;
  std::vector<double> parents, children;
  std::vector<float> value(static_cast<std::size_t>(truth.n()));
  for (std::uint64_t i = 0; i < 4000; ++i) {
    generator.codes(kTrainStream, i, work, code);
    std::fill(value.begin(), value.end(), 0.0f);
    for (std::size_t k = 0; k < code.features.size(); ++k) value[static_cast<std::size_t>(code.features[k])] = code.values[k];
    for (std::size_t k = 0; k < code.features.size(); ++k) {
      const auto p = truth.hierarchy.parent[static_cast<std::size_t>(code.features[k])];
      if (p < 0 || truth.hierarchy.parent[static_cast<std::size_t>(p)] >= 0) continue;  // depth-1 children only
      // Relative to their means, so that features with different means pool.
      parents.push_back(value[static_cast<std::size_t>(p)] / truth.mean_magnitude[static_cast<std::size_t>(p)]);
      children.push_back(code.values[k] / truth.mean_magnitude[static_cast<std::size_t>(code.features[k])]);
    }
  }
  EXPECT_GT(parents.size(), 1000u);
  const auto n = static_cast<double>(parents.size());
  double mp = 0, mc = 0;
  for (std::size_t i = 0; i < parents.size(); ++i) mp += parents[i] / n, mc += children[i] / n;
  double cov = 0, vp = 0, vc = 0;
  for (std::size_t i = 0; i < parents.size(); ++i) {
    cov += (parents[i] - mp) * (children[i] - mc);
    vp += (parents[i] - mp) * (parents[i] - mp);
    vc += (children[i] - mc) * (children[i] - mc);
  }
  return cov / std::sqrt(vp * vc);
}

TEST(SyntheticGenerator, ChildrenAreScaledByTheirParentsRelativeValue) {
  // child = c·P/mean(P) with c ~ N(mean_c, 0.25), P ~ N(mean_P, 0.25): correlation ≈ 0.7.
  EXPECT_GT(parent_child_correlation(true), 0.5);
  EXPECT_LT(std::abs(parent_child_correlation(false)), 0.1);
}

TEST(SyntheticGenerator, SamplesDependOnlyOnSeedStreamAndIndex) {
  const auto truth = GroundTruth::build(tiny_config(), 12);
  const SampleGenerator generator(truth);
  auto used = generator.workspace(), fresh = generator.workspace();
  SparseCode a, b, other_stream;
  for (std::uint64_t i = 0; i < 50; ++i) generator.codes(kTrainStream, i, used, a);  // dirty the workspace
  generator.codes(kTrainStream, 1234, used, a);
  generator.codes(kTrainStream, 1234, fresh, b);
  EXPECT_EQ(a.features, b.features);
  EXPECT_EQ(a.values, b.values);
  generator.codes(kHeldOutStream, 1234, fresh, other_stream);
  EXPECT_FALSE(a.features == other_stream.features && a.values == other_stream.values);
}

TEST(SyntheticGenerator, ActivationIsBiasPlusWeightedDirections) {
  const auto truth = GroundTruth::build(tiny_config(), 13);
  const SampleGenerator generator(truth);
  auto work = generator.workspace();
  SparseCode code;
  generator.codes(kTrainStream, 5, work, code);
  ASSERT_FALSE(code.features.empty());
  std::vector<float> x(static_cast<std::size_t>(truth.d()));
  generator.activation(code, x.data());
  double bias_norm = 0;
  for (std::int64_t j = 0; j < truth.d(); ++j) {
    double expected = truth.bias[static_cast<std::size_t>(j)];
    for (std::size_t k = 0; k < code.features.size(); ++k)
      expected += code.values[k] * truth.directions[static_cast<std::size_t>(code.features[k] * truth.d() + j)];
    EXPECT_NEAR(x[static_cast<std::size_t>(j)], expected, 1e-4);
    bias_norm += truth.bias[static_cast<std::size_t>(j)] * truth.bias[static_cast<std::size_t>(j)];
  }
  EXPECT_NEAR(std::sqrt(bias_norm), 0.5, 1e-5);
}

TEST(SyntheticGenerator, SavedWorldLoadsIdentically) {
  const auto dir = std::filesystem::temp_directory_path() / ("synthetic_world_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto truth = GroundTruth::build(tiny_config(), 14);
  truth.save(dir);
  const auto loaded = GroundTruth::load(dir);
  EXPECT_EQ(loaded.directions, truth.directions);
  EXPECT_EQ(loaded.sampling_probability, truth.sampling_probability);
  EXPECT_EQ(loaded.hierarchy.parent, truth.hierarchy.parent);
  EXPECT_EQ(loaded.hierarchy.exclusive_children, truth.hierarchy.exclusive_children);
  const SampleGenerator a(truth), b(loaded);
  auto wa = a.workspace(), wb = b.workspace();
  SparseCode ca, cb;
  for (std::uint64_t i = 0; i < 20; ++i) {
    a.codes(kTrainStream, i, wa, ca);
    b.codes(kTrainStream, i, wb, cb);
    EXPECT_EQ(ca.features, cb.features);
    EXPECT_EQ(ca.values, cb.values);
  }
  std::filesystem::remove_all(dir);
}

TEST(SyntheticGenerator, NormalQuantileInvertsTheCdf) {
  for (const double p : {1e-9, 5e-4, 0.02, 0.3, 0.5, 0.77, 0.99, 1 - 1e-7}) {
    const double x = normal_quantile(p);
    EXPECT_NEAR(0.5 * std::erfc(-x / std::sqrt(2.0)), p, 1e-12 * std::max(1.0, p / 1e-3)) << p;
  }
}

TEST(SyntheticGenerator, TabulatedTailDecidesAsTheExactTail) {
  const NormalTail tail;
  FastRandom rng(3, 0, 0);
  for (int i = 0; i < 200000; ++i) {
    const double u = 20 * rng.uniform() - 10;
    const double exact = 0.5 * std::erfc(u / std::sqrt(2.0));
    // Uniforms anywhere, and just either side of the exact tail (where a table alone errs).
    for (const double uniform : {rng.uniform(), exact * (1 - 1e-9), exact * (1 + 1e-9)})
      ASSERT_EQ(tail.exceeds(u, uniform), uniform < exact) << "u " << u << " U " << uniform;
  }
}

TEST(SyntheticGenerator, OrthogonalizeStepIsAdamsFirstStepOnTheLoss) {
  // Adam's first step moves each entry by −lr·sign(gradient) (up to eps);
  // the gradient here comes from autograd on the loss as SynthSAEBench writes it.
  constexpr std::int64_t n = 12, d = 5;
  constexpr double lr = 1e-3;
  FastRandom rng(1, 2, 3);
  std::vector<float> rows(n * d);
  for (auto& r : rows) r = static_cast<float>(rng.normal());
  torch::Tensor e0 = torch::from_blob(rows.data(), {n, d}).clone();
  e0 = e0 / e0.norm(2, 1, true);
  torch::Tensor e = e0.clone().requires_grad_(true);
  const torch::Tensor gram = torch::matmul(e, e.t());
  const torch::Tensor off = 1 - torch::eye(n);
  const torch::Tensor loss = (gram * off).pow(2).sum() + n * (gram.diag() - 1).pow(2).sum();
  loss.backward();
  torch::Tensor expected = e0 - lr * e.grad().sign();
  expected = expected / expected.norm(2, 1, true);
  orthogonalize(rows, n, d, 1, lr);
  const torch::Tensor got = torch::from_blob(rows.data(), {n, d});
  EXPECT_LT((got - expected).abs().max().item<float>(), 1e-5);
}

TEST(SyntheticGenerator, OrthogonalizationSpreadsDirections) {
  auto config = tiny_config();
  config.num_features = 64;
  config.hidden_dim = 16;
  config.orthogonalize_steps = 200;
  config.orthogonalize_lr = 0.01;
  auto mean_square_cos = [&](const GroundTruth& t) {
    const torch::Tensor e = torch::from_blob(const_cast<float*>(t.directions.data()), {t.n(), t.d()});
    const torch::Tensor g = torch::matmul(e, e.t()) * (1 - torch::eye(t.n()));
    return g.pow(2).mean().item<double>();
  };
  const auto spread = GroundTruth::build(config, 15);
  config.orthogonalize_steps = 0;
  const auto plain = GroundTruth::build(config, 15);
  EXPECT_LT(mean_square_cos(spread), 0.9 * mean_square_cos(plain));
  for (std::int64_t i = 0; i < spread.n(); ++i) {
    double norm = 0;
    for (std::int64_t j = 0; j < spread.d(); ++j) norm += std::pow(spread.directions[static_cast<std::size_t>(i * spread.d() + j)], 2);
    EXPECT_NEAR(norm, 1.0, 1e-5);
  }
}

}  // namespace
}  // namespace synthetic

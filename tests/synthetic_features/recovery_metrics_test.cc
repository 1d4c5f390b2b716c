// The recovery metrics: hand-counted classification on a tiny sequence, an
// oracle dictionary (the true directions, exact codes) that must score
// perfectly, and a random dictionary that must not.
#include <gtest/gtest.h>

#include <cmath>

#include "dictlab/dictionary.h"
#include "fast_random.h"
#include "ground_truth.h"
#include "recovery_metrics.h"
#include "sample_generator.h"

namespace synthetic {
namespace {

TEST(RecoveryMetrics, CountsAsSynthSaeBenchDefinesThem) {
  // Two true features along e0 and e1; latent 0 points at feature 1, latent 1 at feature 0.
  const std::vector<float> truth = {1, 0, 0, 1};
  const std::vector<float> learned = {0.1f, 1.0f, 2.0f, 0.0f};
  const auto directions = score_directions(learned, 2, truth, 2, 2);
  EXPECT_EQ(directions.best_match, (std::vector<std::int64_t>{1, 0}));
  EXPECT_NEAR(directions.mcc, (1.0 / std::sqrt(1.01) + 1.0) / 2, 1e-6);
  EXPECT_DOUBLE_EQ(directions.uniqueness, 1.0);

  RecoveryAccumulator accumulator(directions, 2, 2);
  const float x[2] = {1, 1}, reconstruction[2] = {1, 1};
  // Samples: (true active set, latent values).
  //  1: {1}    latent0 fires  -> latent0 TP
  //  2: {1}    nothing fires  -> latent0 FN
  //  3: {}     latent0 fires  -> latent0 FP
  //  4: {0}    latent1 fires  -> latent1 TP
  const std::vector<std::pair<SparseCode, std::array<float, 2>>> samples = {
      {{{1}, {1.0f}}, {1.0f, 0.0f}}, {{{1}, {1.0f}}, {0.0f, 0.0f}}, {{{}, {}}, {2.0f, 0.0f}}, {{{0}, {1.0f}}, {0.0f, 3.0f}}};
  for (const auto& [code, latents] : samples) accumulator.add(x, code, latents.data(), reconstruction);
  const auto report = accumulator.report();
  // latent0: precision 1/2, recall 1/2, F1 1/2; latent1: 1, 1, 1.
  EXPECT_DOUBLE_EQ(report.precision, 0.75);
  EXPECT_DOUBLE_EQ(report.recall, 0.75);
  EXPECT_DOUBLE_EQ(report.f1, 0.75);
  EXPECT_DOUBLE_EQ(report.l0, 3.0 / 4);
  EXPECT_DOUBLE_EQ(report.true_l0, 3.0 / 4);
  EXPECT_EQ(report.dead_latents, 0);
  EXPECT_DOUBLE_EQ(report.shrinkage, 1.0);
}

// A world whose directions are orthonormal, so that the codes are exactly
// recoverable by projection.
GroundTruth orthonormal_world() {
  SyntheticConfig config;
  config.num_features = 24;
  config.hidden_dim = 32;
  config.max_prob = 0.5;
  config.min_prob = 0.1;
  config.root_nodes = 3;
  config.branching = 2;
  config.max_depth = 2;
  config.correlation_rank = 3;
  config.orthogonalize_steps = 0;
  GroundTruth truth = GroundTruth::build(config, 21);
  auto& e = truth.directions;  // Gram-Schmidt
  const std::int64_t d = truth.d();
  for (std::int64_t i = 0; i < truth.n(); ++i) {
    for (std::int64_t k = 0; k < i; ++k) {
      double dot = 0;
      for (std::int64_t j = 0; j < d; ++j) dot += e[i * d + j] * e[k * d + j];
      for (std::int64_t j = 0; j < d; ++j) e[i * d + j] -= static_cast<float>(dot) * e[k * d + j];
    }
    double norm = 0;
    for (std::int64_t j = 0; j < d; ++j) norm += e[i * d + j] * e[i * d + j];
    for (std::int64_t j = 0; j < d; ++j) e[i * d + j] /= static_cast<float>(std::sqrt(norm));
  }
  return truth;
}

// A dictionary through the SDK interface: decoder rows W (d_sae × d) and a
// bias; encode is ReLU(W (x − b)) with values below `floor` set to 0.
class LinearDictionary : public dictlab::DictionaryLearner {
 public:
  LinearDictionary(std::vector<float> w, std::vector<float> b, std::int64_t d_sae, float floor)
      : w_(std::move(w)), b_(std::move(b)), d_sae_(d_sae), d_(static_cast<std::int64_t>(b_.size())), floor_(floor) {}
  void train(dictlab::RunContext&) override {}
  void load(const std::filesystem::path&, const std::string&) override {}
  dictlab::DictionaryShape shape() const override { return {d_, d_sae_, "synthetic"}; }
  void encode(const float* x, std::int64_t rows, float* features) override {
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t k = 0; k < d_sae_; ++k) {
        double v = 0;
        for (std::int64_t j = 0; j < d_; ++j) v += w_[k * d_ + j] * (x[r * d_ + j] - b_[j]);
        features[r * d_sae_ + k] = v > floor_ ? static_cast<float>(v) : 0.0f;
      }
  }
  void decode(const float* features, std::int64_t rows, float* x) override {
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t j = 0; j < d_; ++j) {
        double v = b_[j];
        for (std::int64_t k = 0; k < d_sae_; ++k) v += features[r * d_sae_ + k] * w_[k * d_ + j];
        x[r * d_ + j] = static_cast<float>(v);
      }
  }
  void export_bundle(const std::filesystem::path&) const override {}

 private:
  std::vector<float> w_, b_;
  std::int64_t d_sae_, d_;
  float floor_;
};

RecoveryReport evaluate(const GroundTruth& truth, dictlab::DictionaryLearner& dictionary, std::int64_t samples) {
  const auto shape = dictionary.shape();
  const auto scores =
      score_directions(dictlab::decoder_directions(dictionary), shape.d_sae, truth.directions, truth.n(), truth.d());
  RecoveryAccumulator accumulator(scores, truth.n(), truth.d());
  const SampleGenerator generator(truth);
  auto work = generator.workspace();
  SparseCode code;
  std::vector<float> x(static_cast<std::size_t>(truth.d())), latents(static_cast<std::size_t>(shape.d_sae)), out(x.size());
  for (std::int64_t i = 0; i < samples; ++i) {
    generator.codes(kHeldOutStream, static_cast<std::uint64_t>(i), work, code);
    generator.activation(code, x.data());
    dictionary.encode(x.data(), 1, latents.data());
    dictionary.decode(latents.data(), 1, out.data());
    accumulator.add(x.data(), code, latents.data(), out.data());
  }
  return accumulator.report();
}

TEST(RecoveryMetrics, TheTrueFeaturesScorePerfectly) {
  const auto truth = orthonormal_world();
  LinearDictionary oracle(truth.directions, truth.bias, truth.n(), 1e-3f);
  const auto report = evaluate(truth, oracle, 2000);
  EXPECT_NEAR(report.mcc, 1.0, 1e-5);
  EXPECT_DOUBLE_EQ(report.uniqueness, 1.0);
  EXPECT_DOUBLE_EQ(report.f1, 1.0);
  EXPECT_DOUBLE_EQ(report.precision, 1.0);
  EXPECT_DOUBLE_EQ(report.recall, 1.0);
  EXPECT_NEAR(report.explained_variance, 1.0, 1e-6);
  EXPECT_NEAR(report.shrinkage, 1.0, 1e-5);
  EXPECT_DOUBLE_EQ(report.l0, report.true_l0);
  EXPECT_GT(report.true_l0, 1.0);
  EXPECT_EQ(report.dead_latents, 0);
}

TEST(RecoveryMetrics, ARandomDictionaryScoresLow) {
  const auto truth = orthonormal_world();
  FastRandom rng(5, 0, 0);
  const std::int64_t d_sae = 16;
  std::vector<float> w(static_cast<std::size_t>(d_sae * truth.d()));
  for (auto& v : w) v = static_cast<float>(rng.normal() / std::sqrt(static_cast<double>(truth.d())));
  LinearDictionary random(w, std::vector<float>(static_cast<std::size_t>(truth.d()), 0.0f), d_sae, 0.0f);
  const auto report = evaluate(truth, random, 2000);
  EXPECT_LT(report.mcc, 0.5);
  EXPECT_LT(report.f1, 0.5);
  EXPECT_LT(report.explained_variance, 0.5);
}

}  // namespace
}  // namespace synthetic

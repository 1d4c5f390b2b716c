// The most similar pair of decoder directions, read through the dictionary
// interface only, on hand-built dictionaries and against a brute-force search.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "decoder_similarity.h"

namespace {

// decode(f) = scale · (f W_dec) + b_dec: a bias and a scale the decoder
// directions must not depend on.
class HandBuiltDictionary : public dictlab::DictionaryLearner {
 public:
  HandBuiltDictionary(std::vector<float> w_dec, std::int64_t d_sae, std::int64_t d_in)
      : w_dec_(std::move(w_dec)), d_sae_(d_sae), d_in_(d_in) {}
  void train(dictlab::RunContext&) override {}
  void load(const std::filesystem::path&, const std::string&) override {}
  dictlab::DictionaryShape shape() const override { return {d_in_, d_sae_, "hook"}; }
  void encode(const float*, std::int64_t, float*) override { FAIL() << "decoder directions need no encoding"; }
  void decode(const float* features, std::int64_t rows, float* activations) override {
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t j = 0; j < d_in_; ++j) {
        double sum = 0;
        for (std::int64_t i = 0; i < d_sae_; ++i) sum += features[r * d_sae_ + i] * w_dec_[i * d_in_ + j];
        activations[r * d_in_ + j] = static_cast<float>(3.0 * sum + 0.25 * static_cast<double>(j + 1));
      }
  }
  void export_bundle(const std::filesystem::path&) const override {}

 private:
  std::vector<float> w_dec_;
  std::int64_t d_sae_, d_in_;
};

std::vector<float> random_rows(std::int64_t count, std::int64_t width, std::uint64_t seed) {
  torch::manual_seed(seed);
  const auto t = torch::randn({count, width});
  return {t.data_ptr<float>(), t.data_ptr<float>() + t.numel()};
}

void copy_row(std::vector<float>& rows, std::int64_t width, std::int64_t from, std::int64_t to, float times) {
  for (std::int64_t j = 0; j < width; ++j) rows[to * width + j] = times * rows[from * width + j];
}

TEST(DecoderSimilarity, TwoIdenticalDecoderRowsAreTheMostSimilarPairWithCosineOne) {
  const std::int64_t d_sae = 10, d_in = 16;
  auto w_dec = random_rows(d_sae, d_in, 11);
  copy_row(w_dec, d_in, 7, 2, 1.0f);
  HandBuiltDictionary dictionary(w_dec, d_sae, d_in);
  const auto pair = sae_metrics::most_similar_decoder_pair(dictionary);
  EXPECT_NEAR(pair.abs_cosine, 1.0, 1e-6);
  EXPECT_EQ(pair.first, 2);
  EXPECT_EQ(pair.second, 7);
}

// Antiparallel directions are as redundant as parallel ones; length is no
// part of similarity.
TEST(DecoderSimilarity, AnOppositeDirectionOfAnotherLengthCountsAsTheSame) {
  const std::int64_t d_sae = 6, d_in = 16;
  auto w_dec = random_rows(d_sae, d_in, 12);
  copy_row(w_dec, d_in, 1, 4, -2.5f);
  HandBuiltDictionary dictionary(w_dec, d_sae, d_in);
  const auto pair = sae_metrics::most_similar_decoder_pair(dictionary);
  EXPECT_NEAR(pair.abs_cosine, 1.0, 1e-6);
  EXPECT_EQ(pair.first, 1);
  EXPECT_EQ(pair.second, 4);
}

// More rows than one block of the search, so that pairs across blocks count.
TEST(DecoderSimilarity, MatchesABruteForceSearchOverEveryPair) {
  const std::int64_t count = 1300, width = 24;
  auto rows = random_rows(count, width, 13);
  std::fill(rows.begin() + 5 * width, rows.begin() + 6 * width, 0.0f);  // a zero direction: cosine 0, not NaN
  double best = -1;
  std::int64_t first = -1, second = -1;
  for (std::int64_t a = 0; a < count; ++a)
    for (std::int64_t b = a + 1; b < count; ++b) {
      double dot = 0, aa = 0, bb = 0;
      for (std::int64_t j = 0; j < width; ++j) {
        const double u = rows[a * width + j], v = rows[b * width + j];
        dot += u * v, aa += u * u, bb += v * v;
      }
      const double c = aa > 0 && bb > 0 ? std::abs(dot) / std::sqrt(aa * bb) : 0.0;
      if (c > best) best = c, first = a, second = b;
    }
  const auto pair = sae_metrics::most_similar_rows(rows, count, width);
  EXPECT_NEAR(pair.abs_cosine, best, 1e-9);
  EXPECT_EQ(pair.first, first);
  EXPECT_EQ(pair.second, second);
}

TEST(DecoderSimilarity, OneFeatureHasNoPair) {
  const auto pair = sae_metrics::most_similar_rows({1.0f, 2.0f}, 1, 2);
  EXPECT_EQ(pair.first, -1);
  EXPECT_EQ(pair.second, -1);
}

}  // namespace

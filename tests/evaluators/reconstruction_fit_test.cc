// sae_metrics' reconstruction, shrinkage and sparsity figures against the
// plain torch formulas (SAEBench's evals/core), and on hand-built cases whose
// answers are known.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "reconstruction_fit.h"

namespace {

using sae_metrics::ReconstructionFit;
using sae_metrics::ReconstructionSummary;

std::vector<float> floats(const torch::Tensor& t) {
  const auto c = t.to(torch::kFloat).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

// Adds the rows in uneven batches, as the evaluator's last batch can be.
ReconstructionSummary fit_in_batches(const torch::Tensor& x, const torch::Tensor& x_hat, const torch::Tensor& f) {
  const auto xs = floats(x), hats = floats(x_hat), codes = floats(f);
  const std::int64_t rows = x.size(0), d_in = x.size(1), d_sae = f.size(1);
  ReconstructionFit fit(d_in, d_sae);
  for (std::int64_t start = 0, n = 1; start < rows; start += n, n = 2 * n + 1) {
    n = std::min(n, rows - start);
    fit.add(xs.data() + start * d_in, hats.data() + start * d_in, codes.data() + start * d_sae, n);
  }
  return fit.summary();
}

TEST(ReconstructionFit, MatchesTheTorchFormulasOnRandomActivations) {
  torch::manual_seed(3);
  const std::int64_t rows = 97, d_in = 12, d_sae = 20;
  // Activations in float as the evaluator gets them; the reference in double.
  const auto x = (torch::randn({rows, d_in}) * 2 + torch::linspace(-5, 30, d_in)).to(torch::kDouble);
  const auto x_hat = (0.7 * x + 0.3 * torch::randn({rows, d_in})).to(torch::kFloat).to(torch::kDouble);
  auto f = torch::relu(torch::randn({rows, d_sae}) - 1.0);
  f.select(1, 4).zero_();   // a dead feature
  f.select(1, 9).neg_();    // codes of a dictionary whose activations can be negative
  f = f.to(torch::kDouble);
  const auto s = fit_in_batches(x.to(torch::kFloat), x_hat, f);

  const auto error = (x - x_hat).pow(2);
  EXPECT_EQ(s.tokens, rows);
  EXPECT_NEAR(s.mse, error.mean().item<double>(), 1e-9);
  EXPECT_NEAR(s.variance_explained,
              1 - (error.sum() / (x - x.mean(0, true)).pow(2).sum()).item<double>(), 1e-9);
  EXPECT_NEAR(s.cosine_similarity, torch::cosine_similarity(x, x_hat, 1).mean().item<double>(), 1e-9);
  EXPECT_NEAR(s.l2_ratio, (x_hat.norm(2, {1}) / x.norm(2, {1})).mean().item<double>(), 1e-9);
  EXPECT_NEAR(s.relative_reconstruction_bias,
              (x_hat.pow(2).sum(1).mean() / (x * x_hat).sum(1).mean()).item<double>(), 1e-9);
  EXPECT_NEAR(s.l0, f.ne(0).sum(1).to(torch::kDouble).mean().item<double>(), 1e-12);
  EXPECT_NEAR(s.l1, f.abs().sum(1).mean().item<double>(), 1e-6);
  const auto fired = f.ne(0).sum(0).to(torch::kDouble);
  ASSERT_EQ(s.fired.size(), static_cast<std::size_t>(d_sae));
  for (std::int64_t i = 0; i < d_sae; ++i) EXPECT_EQ(s.fired[static_cast<std::size_t>(i)], fired[i].item<double>());
  EXPECT_EQ(s.fired[4], 0);
  EXPECT_GT(s.fired[9], 0);
  EXPECT_NEAR(s.alive_ratio, fired.gt(0).sum().item<double>() / d_sae, 1e-12);
  EXPECT_LT(s.alive_ratio, 1.0);
}

// Activations with a large common offset: a dictionary that outputs their mean
// explains none of their variance, though it is close to them relative to zero
// (1 - Σ‖x − x̂‖² / Σ‖x‖² ≈ 1, the form SAELens reported until v6.45.1).
TEST(ReconstructionFit, VarianceExplainedIsRelativeToTheMeanNotToZero) {
  torch::manual_seed(5);
  const std::int64_t rows = 200, d_in = 16;
  const auto x = (torch::randn({rows, d_in}) + 1000).to(torch::kDouble);
  const auto mean = x.mean(0, true).expand({rows, d_in}).contiguous();
  const auto codes = torch::ones({rows, 1});
  const auto s = fit_in_batches(x, mean, codes);
  const double zero_relative = 1 - ((x - mean).pow(2).sum() / x.pow(2).sum()).item<double>();
  ASSERT_GT(zero_relative, 0.999);  // what the wrong form would report
  EXPECT_NEAR(s.variance_explained, 0.0, 1e-3);

  // A good reconstruction of the same activations: about 1 - 0.1² of it.
  const auto close = x + 0.1 * torch::randn({rows, d_in}, torch::kDouble);
  const auto good = fit_in_batches(x, close, codes);
  const auto x_f = x.to(torch::kFloat).to(torch::kDouble), close_f = close.to(torch::kFloat).to(torch::kDouble);
  const double reference =
      1 - ((x_f - close_f).pow(2).sum() / (x_f - x_f.mean(0, true)).pow(2).sum()).item<double>();
  EXPECT_NEAR(good.variance_explained, reference, 1e-4);
  EXPECT_NEAR(good.variance_explained, 0.99, 0.005);
}

// x̂ = x / 2: a perfect direction, half the length.
TEST(ReconstructionFit, AHalvedReconstructionShowsShrinkageOfOneHalf) {
  torch::manual_seed(7);
  const auto x = torch::randn({30, 8}, torch::kDouble);
  const auto s = fit_in_batches(x, x / 2, torch::ones({30, 3}));
  EXPECT_NEAR(s.cosine_similarity, 1.0, 1e-6);
  EXPECT_NEAR(s.l2_ratio, 0.5, 1e-6);
  EXPECT_NEAR(s.relative_reconstruction_bias, 0.5, 1e-6);
  EXPECT_EQ(s.l0, 3);
  EXPECT_EQ(s.l1, 3);
  EXPECT_EQ(s.alive_ratio, 1);
}

// A reconstruction of zero is at no angle to anything: counted as cosine 0
// rather than poisoning the mean with NaN.
TEST(ReconstructionFit, ZeroReconstructionsCountAsCosineZero) {
  const auto x = torch::ones({4, 3}, torch::kDouble);
  auto x_hat = x.clone();
  x_hat[0].zero_();
  const auto s = fit_in_batches(x, x_hat, torch::zeros({4, 2}));
  EXPECT_NEAR(s.cosine_similarity, 0.75, 1e-12);
  EXPECT_EQ(s.alive_ratio, 0);
  EXPECT_EQ(s.l0, 0);
}

}  // namespace

// What sae_metrics does across ranks: each fits its own rows about its own
// first batch's mean, then all add their sums taken about rank 0's.
TEST(ReconstructionFit, FitsOfDisjointRowsAddUpToTheFitOfAll) {
  torch::manual_seed(5);
  const std::int64_t rows = 60, d_in = 8, d_sae = 16;
  const auto x = floats(torch::randn({rows, d_in}) + torch::linspace(100, 140, d_in));
  const auto x_hat = floats(torch::randn({rows, d_in}) * 0.3 + torch::linspace(100, 140, d_in));
  const auto codes = floats(torch::relu(torch::randn({rows, d_sae}) - 1.0));
  ReconstructionFit all(d_in, d_sae), first(d_in, d_sae), second(d_in, d_sae), empty(d_in, d_sae);
  all.add(x.data(), x_hat.data(), codes.data(), rows);
  first.add(x.data(), x_hat.data(), codes.data(), 25);
  second.add(x.data() + 25 * d_in, x_hat.data() + 25 * d_in, codes.data() + 25 * d_sae, rows - 25);

  const auto shift = first.shift();
  auto sums = first.sums(shift);
  for (const auto& part : {second.sums(shift), empty.sums(shift)})
    for (std::size_t i = 0; i < sums.size(); ++i) sums[i] += part[i];
  first.set_sums(sums, shift);
  const auto merged = first.summary(), expected = all.summary();
  EXPECT_EQ(merged.tokens, expected.tokens);
  EXPECT_NEAR(merged.variance_explained, expected.variance_explained, 1e-9);
  EXPECT_NEAR(merged.mse, expected.mse, 1e-12);
  EXPECT_NEAR(merged.cosine_similarity, expected.cosine_similarity, 1e-12);
  EXPECT_NEAR(merged.relative_reconstruction_bias, expected.relative_reconstruction_bias, 1e-12);
  EXPECT_NEAR(merged.l1, expected.l1, 1e-12);
  EXPECT_EQ(merged.fired, expected.fired);
  EXPECT_EQ(merged.l0, expected.l0);
}

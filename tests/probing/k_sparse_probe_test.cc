// The k-sparse probe on synthetic rows: a coordinate that separates the
// classes must be found and give accuracy 1; labels that are noise must give
// about 0.5; the logistic fit must reach the minimum an independent
// optimiser (autograd L-BFGS on the same objective) finds.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "k_sparse_probe.h"

namespace sparse_probing {
namespace {

// n rows of `units` standard normal coordinates with labels half 0, half 1.
LabelledRows noise_rows(std::int64_t n, std::int64_t units, torch::Generator& generator) {
  LabelledRows rows{torch::randn({n, units}, generator), torch::zeros({n})};
  rows.y.slice(0, 0, n / 2).fill_(1);
  return rows;
}

TEST(KSparseProbe, OneSeparatingUnitIsFoundAndClassifiesPerfectly) {
  auto generator = at::detail::createCPUGenerator(11);
  constexpr std::int64_t kSeparating = 37;
  auto make = [&](std::int64_t n) {
    LabelledRows rows = noise_rows(n, 200, generator);
    // Class 1 sits at +2 on one unit, class 0 at -2, each spread 0.5: they never overlap.
    rows.x.select(1, kSeparating).copy_((rows.y * 4 - 2) + 0.5 * torch::rand({n}, generator));
    return rows;
  };
  const LabelledRows train = make(1000), test = make(400);
  for (const std::int64_t k : {1, 2, 5}) {
    const ProbeResult result = k_sparse_probe(train, test, k);
    ASSERT_EQ(static_cast<std::int64_t>(result.units.size()), k);
    EXPECT_EQ(result.units[0], kSeparating);
    EXPECT_EQ(result.test_accuracy, 1.0) << "k = " << k;
    EXPECT_EQ(result.train_accuracy, 1.0) << "k = " << k;
  }
}

TEST(KSparseProbe, NoiseLabelsGiveChance) {
  auto generator = at::detail::createCPUGenerator(5);
  const LabelledRows train = noise_rows(2000, 100, generator), test = noise_rows(2000, 100, generator);
  for (const std::int64_t k : {1, 5}) {
    const double accuracy = k_sparse_probe(train, test, k).test_accuracy;
    // Two thousand coin flips: 0.5 within four standard deviations (0.011 each).
    EXPECT_NEAR(accuracy, 0.5, 0.045) << "k = " << k;
  }
}

TEST(KSparseProbe, UnitsAreRankedByTheDifferenceOfClassMeans) {
  // Means of class 1 minus class 0: unit 0: 0, unit 1: -3, unit 2: +1, unit 3: +2.
  const torch::Tensor x = torch::tensor({{1.0f, 0.0f, 1.0f, 2.0f},
                                         {1.0f, 0.0f, 1.0f, 2.0f},
                                         {1.0f, 3.0f, 0.0f, 0.0f},
                                         {1.0f, 3.0f, 0.0f, 0.0f}});
  const LabelledRows rows{x, torch::tensor({1.0f, 1.0f, 0.0f, 0.0f})};
  EXPECT_EQ(top_mean_difference_units(rows, 3), (std::vector<std::int64_t>{1, 3, 2}));
  EXPECT_EQ(top_mean_difference_units(rows, 10).size(), 4u);
}

TEST(KSparseProbe, NewtonReachesTheMinimumAutogradFinds) {
  auto generator = at::detail::createCPUGenerator(3);
  const std::int64_t n = 300;
  LabelledRows rows{torch::randn({n, 3}, generator) * torch::tensor({1.0f, 5.0f, 0.2f}) + 1.0f, torch::zeros({n})};
  // Overlapping classes: labels drawn from a logistic model, so the minimum is finite even unpenalised.
  const torch::Tensor logits = rows.x.matmul(torch::tensor({1.5f, -0.3f, 2.0f})) - 1.0f;
  rows.y = (torch::rand({n}, generator) < torch::sigmoid(logits)).to(torch::kFloat);
  const double penalty = 0.01;
  const LogisticModel fitted = fit_logistic(rows, penalty);

  // The same objective, minimised by autograd's L-BFGS on the standardized inputs.
  const torch::Tensor x = rows.x.to(torch::kDouble), y = rows.y.to(torch::kDouble);
  const torch::Tensor z = (x - x.mean(0)) / (x - x.mean(0)).square().mean(0).sqrt();
  torch::Tensor w = torch::zeros({3}, torch::TensorOptions(torch::kDouble).requires_grad(true));
  torch::Tensor b = torch::zeros({1}, torch::TensorOptions(torch::kDouble).requires_grad(true));
  torch::optim::LBFGS optimiser({w, b}, torch::optim::LBFGSOptions(1.0).max_iter(500).tolerance_grad(1e-12)
                                            .tolerance_change(1e-15).line_search_fn("strong_wolfe"));
  auto closure = [&] {
    optimiser.zero_grad();
    const torch::Tensor s = z.matmul(w) + b;
    const torch::Tensor loss = torch::binary_cross_entropy_with_logits(s, y) + 0.5 * penalty * w.dot(w);
    loss.backward();
    return loss;
  };
  for (int i = 0; i < 5; ++i) optimiser.step(closure);
  EXPECT_TRUE(torch::allclose(fitted.weights, w.detach(), 1e-5, 1e-6)) << fitted.weights << w;
  EXPECT_NEAR(fitted.bias, b.item<double>(), 1e-6);
  // And it predicts as its own weights say.
  const torch::Tensor expected = torch::sigmoid(z.matmul(w.detach()) + b.detach());
  EXPECT_TRUE(torch::allclose(fitted.probability(rows.x), expected, 1e-5, 1e-6));
}

TEST(KSparseProbe, SeparableDataStaysFinite) {
  const LabelledRows rows{torch::tensor({{-2.0f}, {-1.0f}, {1.0f}, {2.0f}}), torch::tensor({0.0f, 0.0f, 1.0f, 1.0f})};
  const LogisticModel fitted = fit_logistic(rows);
  EXPECT_TRUE(torch::isfinite(fitted.weights).all().item<bool>());
  EXPECT_GT(fitted.weights[0].item<double>(), 0.0);
  EXPECT_EQ(accuracy(fitted, rows), 1.0);
}

}  // namespace
}  // namespace sparse_probing

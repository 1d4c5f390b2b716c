// BatchTopK's block-wise selection against torch.topk over the flattened
// batch, its running threshold, and the threshold's use at inference.
#include <gtest/gtest.h>

#include <cmath>

#include "architectures/architectures.h"
#include "architectures/jump_relu.h"
#include "batch_top_k.h"
#include "fused_adam.h"
#include "sparse_kernels.h"

namespace sparse_autoencoder {
namespace {

constexpr std::int64_t kDIn = 32, kDSae = 256, kRows = 96, kK = 3;

dictlab::Options batch_top_k_options(std::int64_t k, std::int64_t steps) {
  return dictlab::Options({{"d_sae", kDSae}, {"k", k}, {"aux_k", std::int64_t{16}}, {"aux_coefficient", 1.0 / 32},
                           {"threshold_beta", 0.99}, {"threshold_start_step", std::int64_t{1000}}, {"steps", steps}});
}

Sae random_sae(double encoder_bias) {
  Sae sae({.d_in = kDIn, .d_sae = kDSae}, batch_topk_from_options(batch_top_k_options(kK, 10)));
  torch::NoGradGuard no_grad;
  torch::manual_seed(11);
  sae.W_dec.normal_();
  sae.normalize_decoder();
  sae.W_enc.normal_(0, 0.3);
  sae.b_enc.fill_(encoder_bias);
  sae.b_dec.zero_();
  return sae;
}

// Codes as a dense [rows, d_sae] matrix.
torch::Tensor dense(const SparseCodes& codes, std::int64_t d_sae) {
  torch::Tensor out = torch::zeros({codes.rows(), d_sae});
  for (std::int64_t r = 0; r < codes.rows(); ++r)
    for (std::int64_t i = codes.row_start[r]; i < codes.row_start[r + 1]; ++i) out[r][codes.feature[i]] = codes.value[i];
  return out;
}

// Encoded in blocks of 20 rows on two threads, as training encodes.
void expect_exact_selection(const Sae& sae, const torch::Tensor& x) {
  torch::set_num_threads(2);
  const BatchTopKSelection selection(kK, kDSae);
  SparseStepWorkspace workspace;
  workspace.encoder_block_rows = 20;
  const torch::Tensor input = x.contiguous();
  const std::vector<SparseCodes> candidates = encode_and_select(sae, input, {selection.candidates()}, workspace);
  const torch::Tensor selected = dense(selection.select(sae, input, candidates[0], workspace), kDSae);

  torch::NoGradGuard no_grad;
  const torch::Tensor flat = torch::relu(torch::addmm(sae.b_enc, input, sae.W_enc)).flatten();
  auto [values, indices] = flat.topk(kK * kRows);
  const torch::Tensor expected = torch::zeros_like(flat).scatter(0, indices, values).view({kRows, kDSae});
  EXPECT_TRUE(torch::equal(selected > 0, expected > 0));
  // The values come from another GEMM (blocks of rows): equal up to float rounding.
  EXPECT_LT((selected - expected).abs().max().item<double>(), 1e-6 * expected.abs().max().item<double>());
}

}  // namespace

TEST(BatchTopKSelection, EqualsTopKOverTheFlattenedBatch) {
  torch::manual_seed(1);
  expect_exact_selection(random_sae(-0.5), torch::randn({kRows, kDIn}));
}

// Row 7 is 50 times longer than the rest: nearly all of the batch's 288
// winners are its entries, far more than its 12 candidates.
TEST(BatchTopKSelection, IsExactWhenOneRowHoldsMostOfTheWinners) {
  torch::manual_seed(2);
  torch::Tensor x = torch::randn({kRows, kDIn});
  x[7].mul_(50);
  const Sae sae = random_sae(-0.5);
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor flat = torch::relu(torch::addmm(sae.b_enc, x, sae.W_enc)).flatten();
    const torch::Tensor winners = std::get<1>(flat.topk(kK * kRows));
    const std::int64_t in_row_7 = (winners.div(kDSae, "floor") == 7).sum().item<std::int64_t>();
    ASSERT_GT(in_row_7, 4 * BatchTopKSelection::kCandidatesPerK * kK);
  }
  expect_exact_selection(sae, x);
}

// Fewer positive pre-activations than k · rows: all of them, the long row's
// beyond its candidates included.
TEST(BatchTopKSelection, KeepsEveryPositiveEntryWhenThereAreTooFew) {
  torch::manual_seed(3);
  torch::Tensor x = torch::randn({kRows, kDIn});
  x[30].mul_(10);
  const Sae sae = random_sae(-6.0);
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor pre = torch::addmm(sae.b_enc, x, sae.W_enc);
    ASSERT_LT((pre > 0).sum().item<std::int64_t>(), kK * kRows);
    ASSERT_GT((pre[30] > 0).sum().item<std::int64_t>(), BatchTopKSelection::kCandidatesPerK * kK);
  }
  expect_exact_selection(sae, x);
}

// From its start step, θ is the first batch's smallest code, then
// θ ← β θ + (1 − β) smallest; a batch that kept nothing leaves it.
TEST(RunningThreshold, FollowsAnExponentialMovingAverageOfTheSmallestKeptCode) {
  Sae sae = random_sae(0.0);
  RunningThreshold threshold(/*start=*/2, /*beta=*/0.9);
  const std::vector<std::optional<float>> smallest = {5.0f, 4.0f, 1.0f, 2.0f, std::nullopt, 3.0f};
  std::vector<double> seen;
  for (std::int64_t step = 0; step < static_cast<std::int64_t>(smallest.size()); ++step) {
    threshold.observe(smallest[static_cast<std::size_t>(step)]);
    threshold.update(sae, step);
    seen.push_back(threshold_of(sae)[0].item<double>());
    EXPECT_TRUE(torch::all(threshold_of(sae) == threshold_of(sae)[0]).item<bool>());
  }
  // Worked by hand: steps 0 and 1 are before the start; step 2 takes its 1
  // as it is; step 3: 0.9 · 1 + 0.1 · 2; step 4 kept nothing.
  EXPECT_EQ(seen[0], 0.0);
  EXPECT_EQ(seen[1], 0.0);
  EXPECT_NEAR(seen[2], 1.0, 1e-6);
  EXPECT_NEAR(seen[3], 1.1, 1e-6);
  EXPECT_NEAR(seen[4], 1.1, 1e-6);
  EXPECT_NEAR(seen[5], 0.9 * 1.1 + 0.1 * 3.0, 1e-6);
}

// After training on sparse combinations of known directions, the threshold
// alone (no batch) gives about k codes per activation on fresh data of the
// same kind.
TEST(RunningThreshold, GivesAboutKCodesPerActivationAtInferenceAfterTraining) {
  torch::set_num_threads(1);  // steps this small only wait on each other's threads
  constexpr std::int64_t k = 4, steps = 200, batch = 128;
  torch::manual_seed(5);
  const torch::Tensor directions = torch::nn::functional::normalize(
      torch::randn({128, kDIn}), torch::nn::functional::NormalizeFuncOptions().dim(1));
  const auto data = [&](std::int64_t rows) {
    const torch::Tensor on = torch::rand({rows, 128}) < 4.0 / 128;
    return torch::mm(torch::rand({rows, 128}) * on, directions);
  };
  Sae sae({.d_in = kDIn, .d_sae = kDSae}, batch_topk_from_options(batch_top_k_options(k, steps)));
  {
    torch::NoGradGuard no_grad;
    sae.W_dec.normal_();
    sae.normalize_decoder();
    sae.W_enc.copy_(sae.W_dec.t());
  }
  FusedAdam optimizer(sae.parameters(), torch::optim::AdamOptions(3e-3));
  SparseStepWorkspace workspace;
  for (std::int64_t step = 0; step < steps; ++step) {
    optimizer.zero_grad();
    sae.architecture->sparse_step(sae, data(batch), torch::zeros({kDSae}, torch::kBool), workspace);
    optimizer.step();
    sae.normalize_decoder();
    sae.architecture->after_step(sae, step);
  }
  ASSERT_GT(threshold_of(sae)[0].item<double>(), 0);
  torch::NoGradGuard no_grad;
  const torch::Tensor fresh = data(2048);
  const double l0 = (sae.activate(sae.pre_activations(fresh)) > 0).sum(1).to(torch::kDouble).mean().item<double>();
  EXPECT_GT(l0, k / 1.5) << "threshold " << threshold_of(sae)[0].item<double>();
  EXPECT_LT(l0, k * 1.5) << "threshold " << threshold_of(sae)[0].item<double>();
}

}  // namespace sparse_autoencoder

// The sparse kernels must compute what dense autograd computes.
#include "sparse_step.h"

#include <gtest/gtest.h>

#include "trainer.h"

namespace sparse_autoencoder {
namespace {

Sae random_sae(const std::string& architecture) {
  Sae sae({.d_in = 48, .d_sae = 320, .architecture = architecture, .k = 6});
  torch::NoGradGuard no_grad;
  torch::manual_seed(3);
  sae.W_dec.normal_();
  sae.normalize_decoder();
  sae.W_enc.normal_(0, 0.3);
  sae.b_enc.normal_(-0.5, 0.2);  // a few tens of active features per row, as in training
  sae.b_dec.normal_(0, 0.1);
  return sae;
}

std::map<std::string, torch::Tensor> gradients(const Sae& sae) {
  return {{"W_enc", sae.W_enc.grad().clone()}, {"b_enc", sae.b_enc.grad().clone()},
          {"W_dec", sae.W_dec.grad().clone()}, {"b_dec", sae.b_dec.grad().clone()}};
}

// `block_rows` > 0 encodes that many rows at a time (the last block shorter),
// each block on whichever thread takes it.
void expect_same_step(const std::string& architecture, const torch::Tensor& dead, std::int64_t block_rows = 0) {
  Sae sae = random_sae(architecture);
  const torch::Tensor x = torch::randn({200, 48});
  TrainerOptions options;
  options.l1_coefficient = 0.02;
  options.aux_k = 16;

  const StepLoss dense = dense_loss_and_gradients(sae, x, options, dead);
  sae.project_decoder_gradient();  // the sparse step returns it projected
  const auto expected = gradients(sae);
  for (auto& p : sae.parameters()) p.mutable_grad() = torch::Tensor();
  SparseStepWorkspace workspace;
  workspace.encoder_block_rows = block_rows;
  const StepLoss sparse = sparse_loss_and_gradients(sae, x, options.l1_coefficient, dead, options.aux_k,
                                                    options.aux_coefficient, &workspace);
  const auto actual = gradients(sae);

  EXPECT_NEAR(sparse.loss, dense.loss, 1e-5 * std::abs(dense.loss));
  EXPECT_NEAR(sparse.mse, dense.mse, 1e-5 * dense.mse);
  EXPECT_NEAR(sparse.l0, dense.l0, 1e-4 * dense.l0);
  EXPECT_TRUE(torch::equal(sparse.features_fired, dense.features_fired));
  EXPECT_GT(dense.l0, 1.0);
  for (const auto& [name, grad] : expected) {
    const double scale = grad.abs().max().item<double>();
    ASSERT_GT(scale, 0) << name;
    EXPECT_LT((actual.at(name) - grad).abs().max().item<double>(), 1e-4 * scale) << name;
  }
}

}  // namespace

TEST(SparseStep, L1GradientsEqualDenseAutograd) { expect_same_step("standard", {}); }

TEST(SparseStep, TopKGradientsEqualDenseAutograd) {
  expect_same_step("topk", torch::zeros({320}, torch::kBool));
}

TEST(SparseStep, TopKWithAuxKOverDeadLatentsEqualsDenseAutograd) {
  torch::Tensor dead = torch::zeros({320}, torch::kBool);
  dead.narrow(0, 100, 120).fill_(true);
  expect_same_step("topk", dead);
}

TEST(SparseStep, EncodingInBlocksOnTwoThreadsEqualsDenseAutograd) {
  torch::set_num_threads(2);
  torch::Tensor dead = torch::zeros({320}, torch::kBool);
  dead.narrow(0, 40, 200).fill_(true);
  expect_same_step("standard", {}, 48);  // 200 rows: blocks of 48, 48, 48, 48 and 8
  expect_same_step("topk", dead, 48);
}

TEST(SparseStep, AReusedWorkspaceAndGradientsGiveTheSameStep) {
  Sae sae = random_sae("standard");
  const torch::Tensor x = torch::randn({200, 48});
  const StepLoss fresh = sparse_loss_and_gradients(sae, x, 0.02, {}, 16, 1.0 / 32);
  const auto expected = gradients(sae);
  SparseStepWorkspace workspace;
  for (int i = 0; i < 2; ++i) {  // the second call finds every buffer already filled
    const StepLoss reused = sparse_loss_and_gradients(sae, x, 0.02, {}, 16, 1.0 / 32, &workspace);
    EXPECT_EQ(reused.loss, fresh.loss);
    for (const auto& [name, grad] : gradients(sae)) EXPECT_TRUE(torch::equal(grad, expected.at(name))) << name;
  }
}

}  // namespace sparse_autoencoder

// Every architecture's sparse step, and the indexed step of those that
// choose their codes, must compute what dense autograd computes.
#include <gtest/gtest.h>

#include "architectures/architectures.h"
#include "dictlab/errors.h"
#include "sparse_kernels.h"
#include "trainer.h"

namespace sparse_autoencoder {
namespace {

constexpr std::int64_t kDIn = 48, kDSae = 320;

dictlab::Options options(std::map<std::string, dictlab::OptionValue, std::less<>> values) {
  values.emplace("d_sae", kDSae);
  return dictlab::Options(std::move(values));
}

std::shared_ptr<Architecture> standard() {
  return standard_from_options(options({{"l1_coefficient", 0.02}}));
}
std::shared_ptr<Architecture> topk() {
  return topk_from_options(options({{"k", std::int64_t{6}}, {"aux_k", std::int64_t{16}}, {"aux_coefficient", 1.0 / 32}}));
}

dictlab::Options batch_top_k_options(std::map<std::string, dictlab::OptionValue, std::less<>> extra) {
  extra.insert({{"k", std::int64_t{6}}, {"aux_k", std::int64_t{16}}, {"aux_coefficient", 1.0 / 32},
                {"threshold_beta", 0.999}, {"threshold_start_step", std::int64_t{0}}, {"steps", std::int64_t{10}}});
  return options(std::move(extra));
}
std::shared_ptr<Architecture> batch_topk() { return batch_topk_from_options(batch_top_k_options({})); }
std::shared_ptr<Architecture> matryoshka() {
  return matryoshka_from_options(batch_top_k_options({{"prefixes", std::vector<std::int64_t>{16, 64, 200}}}));
}
// θ = 0.3 and ε = 0.2: a few per cent of the entries fall in the kernel's
// window, on both sides of the threshold, so θ's gradient has many terms.
std::shared_ptr<Architecture> jumprelu(const std::string& sparsity) {
  return jumprelu_from_options(options({{"sparsity", sparsity},
                                        {"sparsity_coefficient", 0.01},
                                        {"target_l0", 20.0},
                                        {"tanh_scale", 4.0},
                                        {"pre_activation_coefficient", 0.05},
                                        {"bandwidth", 0.2},
                                        {"initial_threshold", 0.3},
                                        {"threshold_from_sample", false}, {"threshold_learning_rate_factor", 1.0}}));
}

Sae random_sae(std::shared_ptr<Architecture> architecture) {
  Sae sae({.d_in = kDIn, .d_sae = kDSae}, std::move(architecture));
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
  std::map<std::string, torch::Tensor> all;
  for (const auto& [name, tensor] : sae.named_tensors())
    if (tensor.grad().defined()) all[name] = tensor.grad().clone();
  return all;
}

// A step of `sae` on `rows` by `kernels` against dense autograd: loss, MSE,
// L0, fired features and every gradient. `block_rows` > 0 makes the sparse
// kernels encode that many rows at a time (the last block shorter), each
// block on whichever thread takes it.
void expect_step_equals_dense(Sae& sae, const torch::Tensor& rows, const torch::Tensor& dead, StepKernels kernels,
                              std::int64_t block_rows = 0) {
  SparseStepWorkspace workspace;
  workspace.encoder_block_rows = block_rows;
  const StepLoss dense = loss_and_gradients(sae, rows, dead, StepKernels::kDense, workspace);
  const auto expected = gradients(sae);
  for (auto& p : sae.parameters()) p.mutable_grad() = torch::Tensor();
  const StepLoss sparse = loss_and_gradients(sae, rows, dead, kernels, workspace);
  const auto actual = gradients(sae);

  EXPECT_NEAR(sparse.loss, dense.loss, 1e-5 * std::abs(dense.loss));
  EXPECT_NEAR(sparse.mse, dense.mse, 1e-5 * dense.mse);
  EXPECT_NEAR(sparse.l0, dense.l0, 1e-4 * dense.l0);
  EXPECT_TRUE(torch::equal(sparse.features_fired, dense.features_fired));
  EXPECT_GT(dense.l0, 1.0);
  ASSERT_EQ(expected.size(), sae.parameters().size());
  for (const auto& [name, grad] : expected) {
    const double scale = grad.abs().max().item<double>();
    ASSERT_GT(scale, 0) << name;
    ASSERT_TRUE(actual.contains(name)) << name;
    EXPECT_LT((actual.at(name) - grad).abs().max().item<double>(), 1e-4 * scale) << name;
  }
}

// The same for a random dictionary of `architecture` on a random batch.
void expect_same_step(std::shared_ptr<Architecture> architecture, const torch::Tensor& dead,
                      std::int64_t block_rows = 0, StepKernels kernels = StepKernels::kSparse) {
  Sae sae = random_sae(std::move(architecture));
  expect_step_equals_dense(sae, torch::randn({200, kDIn}), dead, kernels, block_rows);
}

torch::Tensor dead_range(std::int64_t first, std::int64_t count) {
  torch::Tensor dead = torch::zeros({kDSae}, torch::kBool);
  dead.narrow(0, first, count).fill_(true);
  return dead;
}


// Transcoders: rows hold the input (kDIn) then the target (kDOut), another
// width, so that a mixed-up side fails on shapes or values.
constexpr std::int64_t kDOut = 40;

std::shared_ptr<Architecture> transcoder(bool skip) {
  return transcoder_from_options(options(
      {{"k", std::int64_t{6}}, {"skip", skip}, {"aux_k", std::int64_t{16}}, {"aux_coefficient", 1.0 / 32}}));
}

Sae random_transcoder(bool skip) {
  Sae sae({.d_in = kDIn, .d_sae = kDSae, .d_out = kDOut}, transcoder(skip));
  torch::NoGradGuard no_grad;
  torch::manual_seed(5);
  sae.W_dec.normal_();
  sae.normalize_decoder();
  sae.W_enc.normal_(0, 0.3);
  sae.b_enc.normal_(-0.5, 0.2);
  sae.b_dec.normal_(0, 0.1);
  if (skip) sae.extra_parameters.at("W_skip").normal_(0, 0.1);  // at zero its gradient would not see x
  return sae;
}


void expect_same_transcoder_step(bool skip, const torch::Tensor& dead, std::int64_t block_rows = 0,
                                 StepKernels kernels = StepKernels::kSparse) {
  Sae sae = random_transcoder(skip);
  // A target related to the input, as an MLP's output is, plus noise.
  const torch::Tensor x = torch::randn({200, kDIn});
  const torch::Tensor y = torch::mm(torch::relu(x), torch::randn({kDIn, kDOut}) * 0.2) + 0.1 * torch::randn({200, kDOut});
  expect_step_equals_dense(sae, torch::cat({x, y}, 1), dead, kernels, block_rows);
}
}  // namespace

TEST(SparseStep, L1GradientsEqualDenseAutograd) { expect_same_step(standard(), {}); }

TEST(SparseStep, TopKGradientsEqualDenseAutograd) { expect_same_step(topk(), torch::zeros({kDSae}, torch::kBool)); }

TEST(SparseStep, TopKWithAuxKOverDeadLatentsEqualsDenseAutograd) { expect_same_step(topk(), dead_range(100, 120)); }

TEST(SparseStep, EncodingInBlocksOnTwoThreadsEqualsDenseAutograd) {
  torch::set_num_threads(2);
  expect_same_step(standard(), {}, 48);  // 200 rows: blocks of 48, 48, 48, 48 and 8
  expect_same_step(topk(), dead_range(40, 200), 48);
}

TEST(SparseStep, JumpReLUWithTheL0PenaltyEqualsDenseAutogradThresholdsIncluded) {
  expect_same_step(jumprelu("l0"), {});
}

TEST(SparseStep, JumpReLUWithTheTanhAndPreActivationPenaltiesEqualsDenseAutograd) {
  expect_same_step(jumprelu("tanh"), {});
}

TEST(SparseStep, JumpReLUWithTheTargetL0PenaltyEqualsDenseAutograd) { expect_same_step(jumprelu("target_l0"), {}); }

TEST(SparseStep, JumpReLUEncodingInBlocksOnTwoThreadsEqualsDenseAutograd) {
  torch::set_num_threads(2);
  for (const char* sparsity : {"l0", "tanh", "target_l0"}) expect_same_step(jumprelu(sparsity), {}, 48);
}

TEST(SparseStep, AReusedWorkspaceAndGradientsGiveTheSameStep) {
  Sae sae = random_sae(standard());
  const torch::Tensor x = torch::randn({200, kDIn});
  SparseStepWorkspace first_workspace;
  const StepLoss fresh = sae.architecture->sparse_step(sae, x, {}, first_workspace);
  const auto expected = gradients(sae);
  SparseStepWorkspace workspace;
  for (int i = 0; i < 2; ++i) {  // the second call finds every buffer already filled
    const StepLoss reused = sae.architecture->sparse_step(sae, x, {}, workspace);
    EXPECT_EQ(reused.loss, fresh.loss);
    for (const auto& [name, grad] : gradients(sae)) EXPECT_TRUE(torch::equal(grad, expected.at(name))) << name;
  }
}

TEST(SparseStep, BatchTopKGradientsEqualDenseAutograd) {
  expect_same_step(batch_topk(), torch::zeros({kDSae}, torch::kBool));
}

TEST(SparseStep, BatchTopKWithAuxKOverDeadLatentsEqualsDenseAutograd) {
  expect_same_step(batch_topk(), dead_range(100, 120));
}

TEST(SparseStep, MatryoshkaGradientsEqualDenseAutograd) {
  expect_same_step(matryoshka(), torch::zeros({kDSae}, torch::kBool));
}

// Dead latents in every prefix, so AuxK's codes feed several prefix terms'
// features as well.
TEST(SparseStep, MatryoshkaWithAuxKOverDeadLatentsEqualsDenseAutograd) {
  expect_same_step(matryoshka(), dead_range(10, 150));
}

TEST(SparseStep, BatchTopKAndMatryoshkaEncodedInBlocksOnTwoThreadsEqualDenseAutograd) {
  torch::set_num_threads(2);
  expect_same_step(batch_topk(), dead_range(40, 200), 48);
  expect_same_step(matryoshka(), dead_range(40, 200), 48);
}

TEST(SparseStep, MatryoshkaPrefixesMustIncreaseWithinTheDictionary) {
  for (const std::vector<std::int64_t>& bad : {std::vector<std::int64_t>{64, 64}, std::vector<std::int64_t>{100, 50},
                                               std::vector<std::int64_t>{0, 50}, std::vector<std::int64_t>{kDSae + 1}})
    EXPECT_THROW(matryoshka_from_options(batch_top_k_options({{"prefixes", bad}})), dictlab::OptionError);
  EXPECT_NO_THROW(matryoshka_from_options(batch_top_k_options({{"prefixes", std::vector<std::int64_t>{kDSae}}})));
}

TEST(SparseStep, TranscoderGradientsEqualDenseAutograd) {
  expect_same_transcoder_step(/*skip=*/false, torch::zeros({kDSae}, torch::kBool));
}

TEST(SparseStep, SkipTranscoderWithAuxKEqualsDenseAutogradIncludingWSkip) {
  expect_same_transcoder_step(/*skip=*/true, dead_range(100, 120));
}

TEST(SparseStep, TranscoderEncodingInBlocksOnTwoThreadsEqualsDenseAutograd) {
  torch::set_num_threads(2);
  expect_same_transcoder_step(/*skip=*/false, dead_range(40, 200), 48);
  expect_same_transcoder_step(/*skip=*/true, dead_range(40, 200), 48);
}

// The indexed step (what trains off the CPU) of every architecture that
// chooses its codes, with AuxK over dead latents, against dense autograd.
TEST(IndexedStep, TopKEqualsDenseAutograd) {
  expect_same_step(topk(), torch::zeros({kDSae}, torch::kBool), 0, StepKernels::kIndexed);
  expect_same_step(topk(), dead_range(100, 120), 0, StepKernels::kIndexed);
}

TEST(IndexedStep, BatchTopKAndMatryoshkaEqualDenseAutograd) {
  expect_same_step(batch_topk(), dead_range(100, 120), 0, StepKernels::kIndexed);
  expect_same_step(matryoshka(), torch::zeros({kDSae}, torch::kBool), 0, StepKernels::kIndexed);
  expect_same_step(matryoshka(), dead_range(10, 150), 0, StepKernels::kIndexed);
}

TEST(IndexedStep, TranscodersEqualDenseAutograd) {
  expect_same_transcoder_step(/*skip=*/false, dead_range(100, 120), 0, StepKernels::kIndexed);
  expect_same_transcoder_step(/*skip=*/true, dead_range(100, 120), 0, StepKernels::kIndexed);
}

}  // namespace sparse_autoencoder

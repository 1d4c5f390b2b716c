// JumpReLU's thresholds are trained: a short run on activations made from a
// known sparse dictionary must move them, and with them the L0, to where the
// sparsity penalty asks.
#include <gtest/gtest.h>

#include "architectures/architectures.h"
#include "architectures/jump_relu.h"
#include "dictlab/errors.h"
#include "fused_adam.h"
#include "sparse_kernels.h"
#include "trainer.h"

namespace sparse_autoencoder {
namespace {

constexpr std::int64_t kDIn = 32, kDSae = 128, kDirections = 64, kBatch = 512;

dictlab::Options jumprelu_options(std::map<std::string, dictlab::OptionValue, std::less<>> values) {
  const std::map<std::string, dictlab::OptionValue, std::less<>> defaults = {
      {"d_sae", kDSae},         {"sparsity", std::string("target_l0")}, {"sparsity_coefficient", 1.0},
      {"target_l0", 8.0},       {"tanh_scale", 4.0},                    {"pre_activation_coefficient", 0.0},
      {"bandwidth", 0.001},     {"initial_threshold", 0.001},
      {"threshold_from_sample", false}, {"threshold_learning_rate_factor", 1.0}};
  values.insert(defaults.begin(), defaults.end());  // keeps the given ones
  return dictlab::Options(std::move(values));
}

// About three of the known directions per activation, scaled as the trainer
// scales activations: mean squared norm d_in.
torch::Tensor synthetic_batch(const torch::Tensor& directions, std::int64_t step) {
  torch::manual_seed(100 + step);
  const torch::Tensor on = torch::rand({kBatch, kDirections}) < 3.0 / kDirections;
  const torch::Tensor x = torch::mm((torch::rand({kBatch, kDirections}) + 0.5) * on, directions);
  return x * std::sqrt(static_cast<double>(kDIn) / x.pow(2).sum(1).mean().item<double>());
}

struct TrainingRun {
  double final_l0 = 0;
  torch::Tensor initial_threshold, final_threshold;
};

// Trains as the trainer does: dense steps while L0 is above a quarter of
// d_sae, then sparse ones; the final L0 is the mean over the last 20 steps.
// Adam moves θ by at most the learning rate a step, and the noise it must
// cut is about 1 in pre-activation units here, so a short run needs a
// large rate (at 3e-3, L0 is still 17 after 600 steps).
TrainingRun train(std::shared_ptr<Architecture> architecture, int steps) {
  torch::manual_seed(1);
  const torch::Tensor directions = torch::nn::functional::normalize(
      torch::randn({kDirections, kDIn}), torch::nn::functional::NormalizeFuncOptions().dim(1));
  Sae sae({.d_in = kDIn, .d_sae = kDSae}, std::move(architecture));
  {
    torch::NoGradGuard no_grad;
    sae.W_dec.normal_();
    sae.normalize_decoder();
    sae.W_enc.copy_(sae.W_dec.t());
  }
  TrainingRun run{.initial_threshold = threshold_of(sae).clone()};
  FusedAdam optimizer(sae.parameters(), torch::optim::AdamOptions(0.02));
  SparseStepWorkspace workspace;
  double l0 = sae.architecture->initial_l0(sae);
  for (int step = 0; step < steps; ++step) {
    optimizer.zero_grad();
    const StepKernels kernels = l0 < 0.25 * kDSae ? StepKernels::kSparse : StepKernels::kDense;
    l0 = loss_and_gradients(sae, synthetic_batch(directions, step), {}, kernels, workspace).l0;
    optimizer.step();
    sae.normalize_decoder();
    sae.architecture->after_step(sae, step);
    if (step >= steps - 20) run.final_l0 += l0 / 20;
  }
  run.final_threshold = threshold_of(sae).detach().clone();
  return run;
}

}  // namespace

// The pitfall this guards against: a threshold that never leaves its start
// (log θ under Adam, or a kernel too narrow to see any pre-activation), so
// L0 stays wherever the encoder alone puts it.
TEST(JumpReLUTraining, TargetL0PenaltyMovesTheThresholdsAndL0ToTheTarget) {
  const TrainingRun run = train(jumprelu_from_options(jumprelu_options({})), 400);
  const double moved = (run.final_threshold - run.initial_threshold).abs().max().item<double>();
  EXPECT_GT(moved, 0.05);
  EXPECT_GT(run.final_threshold.min().item<double>(), 0.0);
  EXPECT_NEAR(run.final_l0, 8.0, 0.25 * 8.0);
}

TEST(JumpReLUOptions, AnUnknownSparsityPenaltyIsRefusedNamingTheKey) {
  try {
    jumprelu_from_options(jumprelu_options({{"sparsity", std::string("l1")}}));
    FAIL() << "expected an OptionError";
  } catch (const dictlab::OptionError& e) {
    EXPECT_EQ(e.key(), "sparsity");
    EXPECT_NE(std::string(e.what()).find("target_l0"), std::string::npos) << e.what();
  }
}

TEST(JumpReLUOptions, ATargetL0AboveDSaeIsRefusedNamingTheKey) {
  try {
    jumprelu_from_options(jumprelu_options({{"target_l0", 1000.0}}));
    FAIL() << "expected an OptionError";
  } catch (const dictlab::OptionError& e) {
    EXPECT_EQ(e.key(), "target_l0");
  }
}

// From a small θ, Adam needs thousands of steps to reach thresholds of the
// pre-activations' scale; started from a sample, the first step is at the
// target L0, and a penalty without a target leaves θ where it was put.
TEST(JumpReLUStart, ThresholdsStartWhereTheSampleHasTheTargetL0) {
  torch::manual_seed(3);
  const torch::Tensor pre = torch::randn({1000, kDSae});
  Sae sae({.d_in = kDIn, .d_sae = kDSae}, jumprelu_from_options(jumprelu_options({{"threshold_from_sample", true}})));
  torch::NoGradGuard no_grad;
  sae.architecture->start_from_sample(sae, pre);
  const double l0 = (sae.architecture->activate(sae, pre) > 0).sum(1).to(torch::kDouble).mean().item<double>();
  EXPECT_NEAR(l0, 8.0, 0.01);

  Sae l0_penalty({.d_in = kDIn, .d_sae = kDSae},
                 jumprelu_from_options(jumprelu_options({{"threshold_from_sample", true}, {"sparsity", std::string("l0")}})));
  l0_penalty.architecture->start_from_sample(l0_penalty, pre);
  EXPECT_TRUE(torch::allclose(threshold_of(l0_penalty), torch::full({kDSae}, 0.001)));
}

}  // namespace sparse_autoencoder

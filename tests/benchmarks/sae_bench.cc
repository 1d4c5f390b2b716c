// Sparse autoencoder training figures, as JSON lines:
//   sae_bench throughput [REPEATS]  the step with the sparse kernels, with dense
//                                   LibTorch autograd, and the encoder GEMM alone
//   sae_bench quality [STEPS]       both paths trained from one start on the
//                                   same synthetic batches: final loss of each
//   sae_bench memory [FEATURES]     peak resident memory of sparse steps
//   sae_bench crossover             L1 step times of both paths as L0 grows:
//                                   where the trainer should switch
//   sae_bench profile [ARCH] [STEPS] only sparse steps (a row's label: L1, TopK), to
//                                   run under perf
//   sae_bench device DEVICE [FEATURES...]  TopK's step where `device = DEVICE`
//                                   trains (cuda: LibTorch's ops), 4096 and 131072 features
// Times are medians over the repeats.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <torch/cuda.h>

#include "architectures/architectures.h"
#include "fused_adam.h"
#include "sae.h"
#include "trainer.h"

namespace {

using sparse_autoencoder::Architecture;
using sparse_autoencoder::Sae;

dictlab::Options options(std::map<std::string, dictlab::OptionValue, std::less<>> values, std::int64_t d_sae) {
  values.emplace("d_sae", d_sae);
  return dictlab::Options(std::move(values));
}

// The architecture rows every mode prints: label and architecture, with
// the L1 penalty `l1` for the standard one.
struct BenchArchitecture {
  std::string label;
  std::shared_ptr<Architecture> architecture;
};

std::vector<BenchArchitecture> architectures(double l1, std::int64_t d_sae) {
  return {
      {"L1", sparse_autoencoder::standard_from_options(options({{"l1_coefficient", l1}}, d_sae))},
      {"TopK k=32", sparse_autoencoder::topk_from_options(
                        options({{"k", std::int64_t{32}}, {"aux_k", std::int64_t{256}}, {"aux_coefficient", 1.0 / 32}},
                                d_sae))},
      {"BatchTopK k=32", sparse_autoencoder::batch_topk_from_options(options(
                             {{"k", std::int64_t{32}}, {"aux_k", std::int64_t{256}}, {"aux_coefficient", 1.0 / 32},
                              {"threshold_beta", 0.999}, {"threshold_start_step", std::int64_t{1000}},
                              {"steps", std::int64_t{2000}}},
                             d_sae))},
      {"Matryoshka k=32", sparse_autoencoder::matryoshka_from_options(options(
                              {{"k", std::int64_t{32}}, {"aux_k", std::int64_t{256}}, {"aux_coefficient", 1.0 / 32},
                               {"threshold_beta", 0.999}, {"threshold_start_step", std::int64_t{1000}},
                               {"steps", std::int64_t{2000}}, {"prefixes", std::vector<std::int64_t>{}}},
                              d_sae))},
      {"JumpReLU target_l0=32",
       sparse_autoencoder::jumprelu_from_options(options({{"sparsity", std::string("target_l0")},
                                                          {"sparsity_coefficient", 1.0},
                                                          {"target_l0", 32.0},
                                                          {"tanh_scale", 4.0},
                                                          {"pre_activation_coefficient", 0.0},
                                                          {"bandwidth", 0.001},
                                                          {"initial_threshold", 0.001},
                                                          {"threshold_from_sample", true}, {"threshold_learning_rate_factor", 10.0}},
                                                         d_sae))},
  };
}

std::shared_ptr<Architecture> architecture_named(const std::string& label, double l1, std::int64_t d_sae) {
  for (auto& a : architectures(l1, d_sae))
    if (a.label.starts_with(label)) return a.architecture;
  throw std::invalid_argument("no architecture row starts with '" + label + "'");
}

double seconds_of(const std::function<void()>& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

Sae trained_looking_sae(std::shared_ptr<Architecture> architecture, std::int64_t d_in, std::int64_t d_sae,
                        double encoder_bias = -1.1) {
  Sae sae({.d_in = d_in, .d_sae = d_sae}, std::move(architecture));
  torch::NoGradGuard no_grad;
  torch::manual_seed(0);
  sae.W_dec.uniform_(-0.1, 0.1);
  sae.normalize_decoder();
  sae.W_enc.copy_(sae.W_dec.t());
  sae.b_enc.fill_(encoder_bias);  // -1.1: an L0 near 32 (k), as a trained SAE has
  return sae;
}

// One optimiser step of either path; returns the step's loss and L0.
sparse_autoencoder::StepLoss train_step(Sae& sae, sparse_autoencoder::FusedAdam& optimizer, const torch::Tensor& x, bool sparse) {
  optimizer.zero_grad();
  const torch::Tensor no_dead = torch::zeros({sae.config.d_sae}, torch::kBool);
  // As the trainer does: one workspace for the whole run (of one SAE shape).
  static sparse_autoencoder::SparseStepWorkspace workspace;
  const auto kernels = sparse ? sparse_autoencoder::StepKernels::kSparse : sparse_autoencoder::StepKernels::kDense;
  const auto result = sparse_autoencoder::loss_and_gradients(sae, x, no_dead, kernels, workspace);
  optimizer.step();
  sae.normalize_decoder();
  return result;
}

// A transcoder from 512 MLP inputs to 512 outputs, trained-looking like the
// SAE rows; its training rows pair each input with a target.
Sae trained_looking_transcoder(std::int64_t d_in, std::int64_t d_sae) {
  Sae sae({.d_in = d_in, .d_sae = d_sae, .d_out = d_in},
          sparse_autoencoder::transcoder_from_options(options(
              {{"k", std::int64_t{32}}, {"skip", false}, {"aux_k", std::int64_t{256}}, {"aux_coefficient", 1.0 / 32}},
              d_sae)));
  const Sae like = trained_looking_sae(architecture_named("TopK", 0, d_sae), d_in, d_sae);
  torch::NoGradGuard no_grad;
  for (auto& [name, tensor] : like.named_tensors()) sae.named_tensors().at(name).copy_(tensor);
  // Its encoder reads x itself, not x − b_dec: with the SAE rows' negative
  // bias most of its top 32 would be negative; at 0 it keeps k = 32 codes.
  sae.b_enc.zero_();
  return sae;
}

void throughput(int repeats) {
  const std::int64_t d_in = 512, d_sae = 4096, batch = 4096;
  torch::manual_seed(0);
  // Activations shaped like an MLP's after a ReLU: sparse-ish and non-negative.
  const torch::Tensor x = torch::relu(torch::randn({batch, d_in}) - 0.5);
  const torch::Tensor weights = torch::randn({d_in, d_sae}), bias = torch::zeros({d_sae});
  // The bound: the encoder's product on all cores, into memory already
  // mapped (a fresh [batch, d_sae] output would add its page faults).
  torch::Tensor pre = torch::empty({batch, d_sae});
  auto gemm = [&] {
    torch::NoGradGuard no_grad;
    torch::addmm_out(pre, bias, x, weights);
  };
  // The transcoder's target: a fixed nonlinear function of the input, as an MLP's output is.
  const torch::Tensor transcoder_rows = torch::cat({x, torch::mm(torch::relu(x - 0.3), torch::randn({d_in, d_in}) * 0.05)}, 1);
  auto rows = architectures(5e-3, d_sae);
  rows.push_back({"Transcoder k=32", nullptr});
  for (const auto& [name, architecture] : rows) {
    for (const bool sparse : {false, true}) {
      Sae sae = architecture ? trained_looking_sae(architecture, d_in, d_sae) : trained_looking_transcoder(d_in, d_sae);
      const torch::Tensor& x_step = architecture ? x : transcoder_rows;
      {
        torch::NoGradGuard no_grad;  // JumpReLU's thresholds start where this batch has its target L0, as in training
        sae.architecture->start_from_sample(sae, sae.pre_activations(sae.input_of(x_step)));
      }
      // A learning rate too small to move the L0 (Adam moves an untrained
      // JumpReLU's thresholds far in ten steps): each row is timed at its
      // starting L0, the same in pytorch_sae.py.
      sparse_autoencoder::FusedAdam optimizer(sae.parameters(), torch::optim::AdamOptions(1e-7));
      train_step(sae, optimizer, x_step, sparse);  // warm up
      // Steps back to back, as training runs them, then GEMMs back to back;
      // twice, so that a machine that gets busier slows both alike. Not one
      // of each in turn: OpenBLAS's threads spin for about 0.1 s after each
      // GEMM, which would slow the step after it as training never is.
      std::vector<double> steps, gemms;
      double l0 = 0;  // the timed steps' own (BatchTopK's: k, not the inference threshold's)
      for (const int count : {repeats / 2, repeats - repeats / 2}) {
        for (int i = 0; i < count; ++i)
          steps.push_back(seconds_of([&] { l0 += train_step(sae, optimizer, x_step, sparse).l0 / repeats; }));
        for (int i = 0; i < count; ++i) gemms.push_back(seconds_of(gemm));
      }
      const double step = median(steps), gemm_time = median(gemms);
      std::printf("{\"what\": \"%s step, %s\", \"l0\": %.1f, \"activations_per_second\": %.0f, "
                  "\"encoder_gemm_activations_per_second\": %.0f, \"step_over_gemm\": %.2f}\n",
                  sparse ? "sparse kernels" : "dense LibTorch", name.c_str(), l0, static_cast<double>(batch) / step,
                  static_cast<double>(batch) / gemm_time, step / gemm_time);
    }
  }
}

// Activations made from a known sparse dictionary: what an SAE should learn.
torch::Tensor synthetic_batch(const torch::Tensor& directions, std::int64_t rows, std::int64_t step) {
  torch::manual_seed(1000 + step);
  const std::int64_t count = directions.size(0);
  const torch::Tensor on = torch::rand({rows, count}) < 8.0 / static_cast<double>(count);
  const torch::Tensor codes = torch::rand({rows, count}) * on;
  return torch::mm(codes, directions);
}

void quality(int steps) {
  const std::int64_t d_in = 128, d_sae = 1024, batch = 1024;
  torch::manual_seed(7);
  const torch::Tensor directions = torch::nn::functional::normalize(
      torch::randn({512, d_in}), torch::nn::functional::NormalizeFuncOptions().dim(1));
  for (const auto& [name, architecture] : architectures(1e-3, d_sae)) {
    for (const bool sparse : {false, true}) {
      Sae sae = trained_looking_sae(architecture, d_in, d_sae);
      {
        torch::NoGradGuard no_grad;
        sae.b_enc.zero_();
      }
      sparse_autoencoder::FusedAdam optimizer(sae.parameters(), torch::optim::AdamOptions(1e-3));
      double tail = 0;
      const int window = std::max(1, steps / 10);
      for (int step = 0; step < steps; ++step) {
        const double loss = train_step(sae, optimizer, synthetic_batch(directions, batch, step), sparse).loss;
        if (step >= steps - window) tail += loss / window;
      }
      std::printf("{\"what\": \"%s path, %s, %d steps\", \"final_loss\": %.6g}\n",
                  sparse ? "sparse kernels" : "dense LibTorch", name.c_str(), steps, tail);
    }
  }
}

void crossover() {
  const std::int64_t d_in = 512, d_sae = 4096, batch = 4096;
  torch::manual_seed(0);
  const torch::Tensor x = torch::relu(torch::randn({batch, d_in}) - 0.5);
  for (const double bias : {-1.2, -0.9, -0.6, -0.4, -0.2}) {
    double seconds[2] = {0, 0}, l0 = 0;
    for (const bool sparse : {false, true}) {
      Sae sae = trained_looking_sae(architecture_named("L1", 0, d_sae), d_in, d_sae, bias);
      {
        torch::NoGradGuard no_grad;
        l0 = (sae.encode(x) > 0).sum(1).to(torch::kFloat).mean().item<double>();
      }
      sparse_autoencoder::FusedAdam optimizer(sae.parameters(), torch::optim::AdamOptions(1e-9));
      train_step(sae, optimizer, x, sparse);
      std::vector<double> times;
      for (int i = 0; i < 3; ++i) times.push_back(seconds_of([&] { train_step(sae, optimizer, x, sparse); }));
      seconds[sparse] = median(times);
    }
    std::printf("{\"what\": \"L1 step at L0 %.0f (%.1f%% of %lld features)\", \"dense_seconds\": %.3f, "
                "\"sparse_seconds\": %.3f}\n",
                l0, 100 * l0 / static_cast<double>(d_sae), static_cast<long long>(d_sae), seconds[0], seconds[1]);
  }
}

void memory(std::int64_t d_sae) {
  const std::int64_t d_in = 512, batch = 4096;
  const torch::Tensor x = torch::relu(torch::randn({batch, d_in}) - 0.5);
  Sae sae = trained_looking_sae(architecture_named("TopK", 0, d_sae), d_in, d_sae);
  sparse_autoencoder::FusedAdam optimizer(sae.parameters(), torch::optim::AdamOptions(4e-4));
  std::vector<double> times;
  for (int i = 0; i < 3; ++i) times.push_back(seconds_of([&] { train_step(sae, optimizer, x, true); }));
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("{\"what\": \"sparse kernels step, TopK k=32, %lld features, batch %lld\", "
              "\"peak_resident_gib\": %.2f, \"seconds_per_step\": %.2f}\n",
              static_cast<long long>(d_sae), static_cast<long long>(batch),
              static_cast<double>(usage.ru_maxrss) / (1024.0 * 1024.0), median(times));
}

void profile(const std::string& architecture, int steps) {
  const std::int64_t d_in = 512, d_sae = 4096, batch = 4096;
  torch::manual_seed(0);
  const torch::Tensor x = torch::relu(torch::randn({batch, d_in}) - 0.5);
  Sae sae = trained_looking_sae(architecture_named(architecture, 5e-3, d_sae), d_in, d_sae);
  sparse_autoencoder::FusedAdam optimizer(sae.parameters(), torch::optim::AdamOptions(4e-4));
  std::vector<double> times;
  for (int i = 0; i < steps; ++i) times.push_back(seconds_of([&] { train_step(sae, optimizer, x, true); }));
  std::printf("{\"what\": \"sparse kernels step, %s\", \"seconds_per_step\": %.4f}\n", architecture.c_str(),
              median(times));
}

// TopK k=32's training step as `device = ...` runs it: the dictionary, the
// batch and Adam on DEVICE, each step LibTorch's own ops with the codes held
// by index (off the CPU, what trains) and dense (the reference, as plain
// PyTorch computes it); on CUDA each timed step ends with a synchronize.
// Prints one row per size and form.
void on_device(const std::string& name, const std::vector<std::int64_t>& sizes, int repeats) {
  const torch::Device device(name);
  const std::int64_t d_in = 512, batch = 4096;
  torch::manual_seed(0);
  const torch::Tensor x = torch::relu(torch::randn({batch, d_in}) - 0.5).to(device);
  auto synchronize = [&device] {
    if (device.is_cuda()) torch::cuda::synchronize(device.has_index() ? device.index() : -1);
  };
  for (const std::int64_t d_sae : sizes) {
    Sae sae = trained_looking_sae(architecture_named("TopK", 0, d_sae), d_in, d_sae);
    sae.to(device);
    sparse_autoencoder::FusedAdam optimizer(sae.parameters(), torch::optim::AdamOptions(1e-7));
    using sparse_autoencoder::StepKernels;
    for (const StepKernels kernels : {StepKernels::kIndexed, StepKernels::kDense}) {
      auto step = [&] {
        optimizer.zero_grad();
        const torch::Tensor no_dead = torch::zeros({d_sae}, torch::dtype(torch::kBool).device(device));
        static sparse_autoencoder::SparseStepWorkspace unused;
        const double l0 = sparse_autoencoder::loss_and_gradients(sae, x, no_dead, kernels, unused).l0;
        optimizer.step();
        sae.normalize_decoder();
        synchronize();
        return l0;
      };
      step();  // warm up (CUDA's first kernels, cuBLAS's handles)
      double l0 = 0;
      std::vector<double> times;
      for (int i = 0; i < repeats; ++i) times.push_back(seconds_of([&] { l0 += step() / repeats; }));
      std::printf("{\"what\": \"%s LibTorch step on %s, TopK k=32\", \"d_sae\": %lld, \"l0\": %.1f, "
                  "\"activations_per_second\": %.0f}\n",
                  kernels == StepKernels::kIndexed ? "indexed" : "dense", name.c_str(),
                  static_cast<long long>(d_sae), l0, static_cast<double>(batch) / median(times));
      std::fflush(stdout);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  const std::string mode = argc > 1 ? argv[1] : "throughput";
  const long argument = argc > 2 ? std::atol(argv[2]) : 0;
  if (mode == "throughput") throughput(argument > 0 ? static_cast<int>(argument) : 9);
  else if (mode == "quality") quality(argument > 0 ? static_cast<int>(argument) : 400);
  else if (mode == "memory") memory(argument > 0 ? argument : 131072);
  else if (mode == "crossover") crossover();
  else if (mode == "profile") profile(argc > 2 ? argv[2] : "TopK", argc > 3 ? std::atoi(argv[3]) : 30);
  else if (mode == "device" && argc > 2) {
    std::vector<std::int64_t> sizes;
    for (int i = 3; i < argc; ++i) sizes.push_back(std::atoll(argv[i]));
    on_device(argv[2], sizes.empty() ? std::vector<std::int64_t>{4096, 131072} : sizes, 9);
  } else {
    std::fprintf(stderr, "usage: sae_bench [throughput [REPEATS] | quality [STEPS] | memory [FEATURES] | crossover | "
                         "profile [ARCH] [STEPS] | device DEVICE [FEATURES...]]\n");
    return 2;
  }
}

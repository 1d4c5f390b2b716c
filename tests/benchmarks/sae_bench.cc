// Training throughput of the sparse autoencoders (activations/s) with the
// dense LibTorch step the plugins run today, and the encoder GEMM alone: the
// bound a step that exploits sparsity could approach. Prints JSON lines.
#include <chrono>
#include <cstdio>
#include <thread>

#include "sae.h"
#include "sparse_step.h"

namespace {

double seconds_per(int repeats, const std::function<void()>& work) {
  work();  // warm up
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < repeats; ++i) work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repeats;
}

}  // namespace

int main(int argc, char** argv) {
  const int repeats = argc > 1 ? std::atoi(argv[1]) : 5;
  torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  const std::int64_t d_in = 512, d_sae = 4096, batch = 4096;
  torch::manual_seed(0);
  // Activations shaped like an MLP's after a ReLU: sparse-ish and non-negative.
  const torch::Tensor x = torch::relu(torch::randn({batch, d_in}) - 0.5);

  const torch::Tensor weights = torch::randn({d_in, d_sae}), bias = torch::zeros({d_sae});
  const double gemm = seconds_per(repeats, [&] {
    torch::NoGradGuard no_grad;
    torch::Tensor pre = torch::addmm(bias, x, weights);
  });
  std::printf("{\"what\": \"encoder GEMM alone (%lldx%lldx%lld)\", \"activations_per_second\": %.0f}\n",
              static_cast<long long>(batch), static_cast<long long>(d_in), static_cast<long long>(d_sae),
              static_cast<double>(batch) / gemm);

  for (const std::string architecture : {"standard", "topk"}) {
    sparse_autoencoder::Sae sae({.d_in = d_in, .d_sae = d_sae, .architecture = architecture, .k = 32});
    {
      torch::NoGradGuard no_grad;
      sae.W_dec.uniform_(-0.1, 0.1);
      sae.normalize_decoder();
      sae.W_enc.copy_(sae.W_dec.t());
      sae.b_enc.fill_(-1.2);  // an L0 in the tens, as a trained SAE has
    }
    torch::optim::Adam optimizer(sae.parameters(), torch::optim::AdamOptions(4e-4));
    double l0 = 0;
    const double step = seconds_per(repeats, [&] {
      optimizer.zero_grad();
      const torch::Tensor features = sae.activate(sae.pre_activations(x));
      const torch::Tensor reconstruction = torch::addmm(sae.b_dec, features, sae.W_dec);
      torch::Tensor loss = (reconstruction - x).pow(2).mean();
      if (architecture == "standard") loss = loss + 5e-3 * features.sum(1).mean();
      loss.backward();
      sae.project_decoder_gradient();
      optimizer.step();
      sae.normalize_decoder();
      l0 = (features > 0).sum(1).to(torch::kFloat).mean().item<double>();
    });
    std::printf("{\"what\": \"dense LibTorch step, %s\", \"l0\": %.1f, \"activations_per_second\": %.0f, "
                "\"encoder_gemm_share\": %.2f}\n",
                architecture == "topk" ? "TopK k=32" : "L1", l0, static_cast<double>(batch) / step, gemm / step);
    const torch::Tensor no_dead = torch::zeros({d_sae}, torch::kBool);
    const double sparse_step = seconds_per(repeats, [&] {
      optimizer.zero_grad();
      const auto result = sparse_autoencoder::sparse_loss_and_gradients(sae, x, 5e-3, no_dead, 256, 1.0 / 32);
      sae.project_decoder_gradient();
      optimizer.step();
      sae.normalize_decoder();
      l0 = result.l0;
    });
    std::printf("{\"what\": \"sparse kernels step, %s\", \"l0\": %.1f, \"activations_per_second\": %.0f, "
                "\"encoder_gemm_share\": %.2f, \"speedup_over_dense\": %.2f}\n",
                architecture == "topk" ? "TopK k=32" : "L1", l0, static_cast<double>(batch) / sparse_step,
                gemm / sparse_step, step / sparse_step);
  }
}

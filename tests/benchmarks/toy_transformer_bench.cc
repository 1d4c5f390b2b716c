// Training throughput of the toy transformer (tokens/s), the same step the
// model plugin runs: forward, backward, gradient clipping, AdamW. Prints one
// JSON line; run_benchmarks.sh sets it beside plain PyTorch.
#include <chrono>
#include <cstdio>
#include <thread>

#include "trainer.h"
#include "transformer.h"

int main(int argc, char** argv) {
  const std::int64_t steps = argc > 1 ? std::atoll(argv[1]) : 30;
  const int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);

  toy_transformer::TransformerConfig config;  // the paper's sizes: d_model 128, d_mlp 512, vocab 4096, ctx 128
  toy_transformer::TrainingOptions options;   // batch 32, AdamW, clip 1.0
  toy_transformer::Transformer model(config);
  model.initialize(0);
  auto optimizer = toy_transformer::make_optimizer(model, options);
  torch::manual_seed(1);
  const torch::Tensor batch = torch::randint(config.d_vocab, {options.batch_size, config.n_ctx + 1}, torch::kLong);

  double loss = 0;
  for (int i = 0; i < 5; ++i) toy_transformer::training_step(model, *optimizer, batch, options.grad_clip, loss);
  const auto start = std::chrono::steady_clock::now();
  for (std::int64_t i = 0; i < steps; ++i) toy_transformer::training_step(model, *optimizer, batch, options.grad_clip, loss);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double tokens = static_cast<double>(steps * options.batch_size * config.n_ctx);
  std::printf("{\"implementation\": \"dictlab (LibTorch C++)\", \"threads\": %d, \"steps\": %lld, "
              "\"tokens_per_second\": %.0f, \"final_loss\": %.4f}\n",
              threads, static_cast<long long>(steps), tokens / seconds, loss);
}

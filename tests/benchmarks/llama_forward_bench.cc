// Tokens per second of the llama forward pass on a GGUF model for
// harvest-like batches, to set beside llama.cpp's prompt evaluation of the
// same tokens (tests/llama_cpp_reference/prompt_eval_speed.mjs; both run by
// tests/benchmarks/llama_vs_llama_cpp.sh).
//
//   llama_forward_bench MODEL.gguf [--batch 8] [--length 128] [--threads 2] [--runs 3]
//                       [--tokens-out FILE.json] [--profile TRACE.json] [--bf16]

#include <torch/torch.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <string>

#include "llama_forward.h"

namespace {

struct Options {
  std::string model, tokens_out, profile;
  std::int64_t batch = 8, length = 128, threads = 2, runs = 3;
  bool bf16 = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--batch") o.batch = std::stoll(value());
    else if (arg == "--length") o.length = std::stoll(value());
    else if (arg == "--threads") o.threads = std::stoll(value());
    else if (arg == "--runs") o.runs = std::stoll(value());
    else if (arg == "--tokens-out") o.tokens_out = value();
    else if (arg == "--profile") o.profile = value();
    else if (arg == "--bf16") o.bf16 = true;
    else if (o.model.empty()) o.model = arg;
    else throw std::runtime_error("unknown argument " + arg);
  }
  if (o.model.empty()) throw std::runtime_error("usage: llama_forward_bench MODEL.gguf [--batch 8] [--length 128] ...");
  return o;
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void write_tokens(const std::string& path, const torch::Tensor& tokens) {
  std::ofstream out(path);
  out << "[";
  for (std::int64_t b = 0; b < tokens.size(0); ++b) {
    out << (b ? ",\n[" : "[");
    for (std::int64_t t = 0; t < tokens.size(1); ++t) out << (t ? "," : "") << tokens[b][t].item<std::int64_t>();
    out << "]";
  }
  out << "]\n";
}

}  // namespace

int main(int argc, char** argv) try {
  const Options o = parse(argc, argv);
  torch::set_num_threads(static_cast<int>(o.threads));
  auto start = std::chrono::steady_clock::now();
  const gguf_model::LlamaModel model = gguf_model::load_llama_model(o.model, o.bf16 ? torch::kBFloat16 : torch::kFloat);
  std::cout << "load: " << seconds_since(start) << " s\n";
  torch::manual_seed(0);
  // Token ids >= 2: no special tokens, as in a harvest of plain text.
  const torch::Tensor tokens = torch::randint(2, model.config().d_vocab, {o.batch, o.length}, torch::kLong);
  if (!o.tokens_out.empty()) write_tokens(o.tokens_out, tokens);
  model.forward(tokens.narrow(0, 0, 1));  // warm-up: first-touch allocations
  std::vector<double> rates;
  for (std::int64_t run = 0; run < o.runs; ++run) {
    start = std::chrono::steady_clock::now();
    model.forward(tokens);
    rates.push_back(static_cast<double>(tokens.numel()) / seconds_since(start));
  }
  std::sort(rates.begin(), rates.end());
  std::cout << "ours: batch " << o.batch << " x " << o.length << ", " << o.threads << " thread(s)"
            << (o.bf16 ? ", bf16 weights" : ", float32") << ": median " << rates[rates.size() / 2]
            << " tokens/s (best " << rates.back() << ")\n";
  {
    // Incremental decoding: 32 single-token steps after a 16-token prompt.
    gguf_model::LlamaCache cache;
    model.forward(tokens.narrow(0, 0, 1).narrow(1, 0, 16), &cache);
    start = std::chrono::steady_clock::now();
    for (int step = 0; step < 32; ++step) model.forward(tokens.narrow(0, 0, 1).narrow(1, 16 + step, 1), &cache);
    std::cout << "ours: decoding one token at a time: " << 32 / seconds_since(start) << " tokens/s\n";
  }
  if (!o.profile.empty()) {
    torch::autograd::profiler::RecordProfile profile(o.profile);
    model.forward(tokens);
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "llama_forward_bench: " << e.what() << "\n";
  return 1;
}

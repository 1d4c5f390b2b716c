#pragma once

#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>

#include "hook_run.h"
#include "transformer_config.h"

namespace toy_transformer {

// One transformer block (attention + MLP, pre-LayerNorm) between learned
// token and position embeddings and an unembedding: the paper's toy model.
// Parameters are plain tensors named as in TransformerLens, except that
// Q, K and V are fused into one matrix for speed.
class Transformer {
 public:
  explicit Transformer(const TransformerConfig& config);

  // GPT-2 style: N(0, 0.02), output projections scaled down, LN at identity.
  void initialize(std::uint64_t seed);
  // Logits [batch, length, d_vocab]; `hooks` (only without autograd) sees
  // and edits the activations at the TransformerLens hook points.
  torch::Tensor forward(const torch::Tensor& tokens, torch_training::HookRun* hooks = nullptr) const;
  // Mean next-token cross-entropy of tokens [batch, length] (predicting 1..L-1).
  torch::Tensor loss(const torch::Tensor& tokens, torch_training::HookRun* hooks = nullptr) const;

  const TransformerConfig& config() const { return config_; }
  std::map<std::string, torch::Tensor>& parameters() { return parameters_; }
  const std::map<std::string, torch::Tensor>& parameters() const { return parameters_; }
  void to(const torch::Device& device);

  // TransformerLens names and shapes (W_Q [n_heads, d_model, d_head] ...).
  std::map<std::string, torch::Tensor> transformer_lens_state() const;
  void load_transformer_lens_state(const std::map<std::string, torch::Tensor>& state);

 private:
  torch::Tensor& p(const std::string& name) const { return parameters_.at(name); }
  TransformerConfig config_;
  mutable std::map<std::string, torch::Tensor> parameters_;
};

}  // namespace toy_transformer

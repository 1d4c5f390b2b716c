#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include "dictlab/hook_points.h"
#include "hook_run.h"
#include "llama_config.h"
#include "llama_weights.h"

namespace gguf_model {

struct ForwardState;

// The keys and values of the positions a model has seen, per layer, for
// incremental decoding: forward(tokens, &cache) attends to them and appends.
class LlamaCache {
 public:
  std::int64_t length() const { return length_; }
  void clear() { layers_.clear(), length_ = 0, batch_ = 0; }

 private:
  friend class LlamaModel;
  struct Layer {
    torch::Tensor keys;    // [batch, n_kv_heads, capacity, d_head]
    torch::Tensor values;  // the same
  };
  std::vector<Layer> layers_;
  std::int64_t length_ = 0;
  std::int64_t batch_ = 0;
};

// A llama-family decoder (pre-RMSNorm blocks, grouped-query attention with
// RoPE, SwiGLU MLP) evaluated with LibTorch, without autograd, in float32 on
// OpenMP's threads (torch::set_num_threads). On 2 cores shared with other
// busy processes 1 thread measured faster than 2 (230 against 80-140
// tokens/s): OpenMP's barriers wait for a thread the scheduler has parked.
class LlamaModel {
 public:
  LlamaModel(LlamaConfig config, LlamaWeights weights);

  // Logits [batch, length, d_vocab] float32 for tokens [batch, length]
  // (int64). Positions start at 0, or at cache->length() with a cache, whose
  // keys and values the tokens attend to and which then holds theirs too.
  // `hooks` sees, per block in this order, [batch, length, width]:
  //   blocks.L.hook_resid_pre, hook_attn_out, hook_resid_mid,
  //   ln2.hook_normalized (the RMS-normalized stream, before the norm's
  //   weight, which is folded into the MLP's matrices), mlp.hook_post
  //   (silu(gate) * up), hook_mlp_out, hook_resid_post.
  torch::Tensor forward(const torch::Tensor& tokens, LlamaCache* cache = nullptr,
                        torch_training::HookRun* hooks = nullptr) const;

  // The residual stream [batch, length, d_model] after the first `n_blocks`
  // blocks (hooks as above), without the rest of the model: what a harvest
  // of activations needs (the unembedding alone is ~20% of the work).
  torch::Tensor residual_stream(const torch::Tensor& tokens, std::int64_t n_blocks,
                                torch_training::HookRun* hooks = nullptr) const;

  std::vector<dictlab::HookPoint> hook_points() const;
  const LlamaConfig& config() const { return config_; }
  const LlamaWeights& weights() const { return weights_; }

 private:
  torch::Tensor run_blocks(const torch::Tensor& tokens, std::int64_t n_blocks, LlamaCache* cache,
                           torch_training::HookRun* hooks) const;
  torch::Tensor block(std::int64_t layer, torch::Tensor x, const ForwardState& state) const;
  torch::Tensor attention(std::int64_t layer, const torch::Tensor& normalized, const ForwardState& state) const;

  LlamaConfig config_;
  LlamaWeights weights_;
  std::vector<std::string> hook_names_;  // transformer_block_hooks' names, built once
};

// The llama-family model of a GGUF file, weights kept as `dtype`: float32, or
// bfloat16 for half the memory (products still in float32, at the same speed).
LlamaModel load_llama_model(const std::filesystem::path& gguf, torch::Dtype dtype = torch::kFloat);

}  // namespace gguf_model

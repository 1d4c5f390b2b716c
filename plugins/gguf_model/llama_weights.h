#pragma once

#include <torch/torch.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "llama_config.h"

namespace gguf_model {

class GgufFile;

// One block's matrices, laid out for x @ W with x [rows, in]: transposed,
// fused and with the RMSNorm weights folded into the rows of the matrices
// that read the normalized stream (as TransformerLens' fold_ln does), so
// that ln2.hook_normalized is exactly the MLP's input.
struct LlamaBlockWeights {
  torch::Tensor qkv;      // [d_model, (n_heads + 2 n_kv_heads) d_head], attn_norm folded in
  torch::Tensor out;      // [n_heads d_head, d_model]
  torch::Tensor gate_up;  // [d_model, 2 d_mlp]: gate columns then up columns, ffn_norm folded in
  torch::Tensor down;     // [d_mlp, d_model]
};

struct LlamaWeights {
  torch::Tensor token_embedding;  // [d_vocab, d_model], float32 (rows are looked up, not multiplied)
  std::vector<LlamaBlockWeights> blocks;
  torch::Tensor output_norm;  // [d_model], float32
  // [d_vocab, d_model], used as x @ unembed^T; the same storage as
  // token_embedding when the file has no output.weight (tied embeddings).
  torch::Tensor unembed;
  // Llama 3's per-frequency divisors of RoPE (rope_freqs.weight); undefined if absent.
  torch::Tensor rope_freq_factors;
};

// A model tensor by its GGUF name as float32 in torch's row-major shape
// (GGUF ne reversed: ne [in, out] is [out, in]); undefined when the file has
// no such tensor. Called once per name, so a loader may dequantize lazily.
using TensorLookup = std::function<torch::Tensor(const std::string& gguf_name)>;

// Checks every shape against `config` (throwing dictlab::PluginError naming
// `source`, the tensor and the expected shape) and builds the layout above;
// the matrices are converted to `dtype` (float32 or bfloat16).
LlamaWeights build_llama_weights(const LlamaConfig& config, const TensorLookup& lookup, const std::string& source,
                                 torch::Dtype dtype = torch::kFloat);

// The same from tensors already in memory, keyed by GGUF name.
LlamaWeights build_llama_weights(const LlamaConfig& config, const std::map<std::string, torch::Tensor>& tensors,
                                 const std::string& source, torch::Dtype dtype = torch::kFloat);

// The weights of a GGUF file, dequantized tensor by tensor.
LlamaWeights read_llama_weights(const GgufFile& file, const LlamaConfig& config, torch::Dtype dtype = torch::kFloat);

}  // namespace gguf_model

#pragma once

#include <cstdint>
#include <string>

namespace gguf_model {

class GgufFile;

// Which coordinates of a head RoPE rotates together. llama.cpp's converter
// permutes the rows of Q and K of llama models so that a GGUF file rotates
// adjacent pairs (x[2i], x[2i+1]) ("NORM" mode); Hugging Face checkpoints
// rotate the two halves (x[i], x[i + d/2]) ("NEOX" mode, rotate_half).
enum class RopeLayout { adjacent_pairs, halves };

// The hyperparameters of a llama-family decoder (SmolLM, Llama 2/3, ...).
struct LlamaConfig {
  std::int64_t n_layers = 0;
  std::int64_t d_model = 0;
  std::int64_t d_mlp = 0;
  std::int64_t n_heads = 0;
  std::int64_t n_kv_heads = 0;
  std::int64_t d_head = 0;
  std::int64_t d_vocab = 0;
  std::int64_t context_length = 0;
  double rms_norm_eps = 1e-5;
  double rope_base = 10000.0;
  std::int64_t rope_dims = 0;  // leading dimensions of each head that RoPE rotates
  RopeLayout rope_layout = RopeLayout::adjacent_pairs;
  // Linear RoPE scaling ("position interpolation"): positions are divided by
  // this factor. 1 means none.
  double rope_linear_factor = 1.0;

  // Throws dictlab::PluginError naming `source` and the first inconsistent value.
  void validate(const std::string& source) const;
};

// The hyperparameters of a GGUF file of architecture "llama" from its
// metadata (llama.block_count, llama.embedding_length, ...; the vocabulary
// from token_embd.weight), validated. Throws dictlab::PluginError naming the
// file and the key for another architecture, a missing key or RoPE scaling
// other than linear.
LlamaConfig read_llama_config(const GgufFile& file);

}  // namespace gguf_model

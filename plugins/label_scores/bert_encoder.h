#pragma once

// A BERT encoder (Hugging Face's BertModel without the pooler: embeddings,
// then post-LayerNorm self-attention blocks with exact-erf GELU) in LibTorch,
// for inference only, on the CPU, from a Hugging Face folder's config.json
// and model.safetensors (float32).

#include <ATen/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <vector>

namespace label_scores {

struct BertConfig {
  std::int64_t vocab_size = 0, hidden = 0, layers = 0, heads = 0, intermediate = 0, max_positions = 0;
  std::int64_t type_vocab_size = 0;
  double layer_norm_eps = 1e-12;

  // Throws dictlab::PluginError naming the file and key when config.json
  // describes something else (another model type, activation or position
  // embedding) or lacks a size.
  static BertConfig read(const std::filesystem::path& config_json);
};

class BertEncoder {
 public:
  BertEncoder(const std::filesystem::path& safetensors, const BertConfig& config);

  // The last hidden states [batch, length, hidden] of `ids` [batch, length]
  // (int64), where `mask` (same shape, 1 for a token, 0 for padding) keeps
  // padding out of every token's attention. Needs an inference guard around it.
  at::Tensor forward(const at::Tensor& ids, const at::Tensor& mask) const;

  const BertConfig& config() const { return config_; }

 private:
  struct Linear {
    at::Tensor weight, bias;
  };
  struct Block {
    Linear query, key, value, attention_out, intermediate, out;
    Linear attention_norm, out_norm;  // LayerNorm weight and bias
  };
  at::Tensor attention(const Block& block, const at::Tensor& x, const at::Tensor& bias) const;

  BertConfig config_;
  at::Tensor word_embeddings_, position_embeddings_, token_type_embeddings_;
  Linear embedding_norm_;
  std::vector<Block> blocks_;
};

}  // namespace label_scores

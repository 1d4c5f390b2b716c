#include "llama_config.h"

#include "dictlab/errors.h"

namespace gguf_model {

namespace {
void require(bool ok, const std::string& source, const std::string& what) {
  if (!ok) throw dictlab::PluginError(source + ": " + what);
}
}  // namespace

void LlamaConfig::validate(const std::string& source) const {
  require(n_layers > 0, source, "llama.block_count must be positive, got " + std::to_string(n_layers));
  require(d_model > 0, source, "llama.embedding_length must be positive, got " + std::to_string(d_model));
  require(d_mlp > 0, source, "llama.feed_forward_length must be positive, got " + std::to_string(d_mlp));
  require(n_heads > 0 && d_model % n_heads == 0, source,
          "llama.attention.head_count (" + std::to_string(n_heads) + ") must divide llama.embedding_length (" +
              std::to_string(d_model) + ")");
  require(n_kv_heads > 0 && n_heads % n_kv_heads == 0, source,
          "llama.attention.head_count_kv (" + std::to_string(n_kv_heads) + ") must divide llama.attention.head_count (" +
              std::to_string(n_heads) + ")");
  require(d_head > 0, source, "the head width must be positive, got " + std::to_string(d_head));
  require(d_vocab > 0, source, "the vocabulary (rows of token_embd.weight) must not be empty");
  require(rope_dims > 0 && rope_dims <= d_head && rope_dims % 2 == 0, source,
          "llama.rope.dimension_count must be even and at most the head width " + std::to_string(d_head) + ", got " +
              std::to_string(rope_dims));
  require(rope_base > 0, source, "llama.rope.freq_base must be positive");
  require(rms_norm_eps > 0, source, "llama.attention.layer_norm_rms_epsilon must be positive");
  require(rope_linear_factor > 0, source, "llama.rope.scaling.factor must be positive");
}

}  // namespace gguf_model

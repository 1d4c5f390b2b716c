#include "llama_config.h"

#include "dictlab/errors.h"
#include "gguf_file.h"

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

LlamaConfig read_llama_config(const GgufFile& file) {
  const std::string source = file.path().string();
  const std::string architecture = file.get_string("general.architecture");
  if (architecture != "llama")
    throw dictlab::PluginError(source + ": general.architecture is '" + architecture +
                               "'; this loader reads llama-family models (architecture 'llama')");
  auto count = [&](const char* key) { return static_cast<std::int64_t>(file.get_uint(std::string("llama.") + key)); };
  LlamaConfig c;
  c.n_layers = count("block_count");
  c.d_model = count("embedding_length");
  c.d_mlp = count("feed_forward_length");
  c.n_heads = count("attention.head_count");
  c.n_kv_heads = file.try_uint("llama.attention.head_count_kv").value_or(c.n_heads);
  c.d_head = file.try_uint("llama.attention.key_length").value_or(c.n_heads > 0 ? c.d_model / c.n_heads : 0);
  c.context_length = file.try_uint("llama.context_length").value_or(0);
  c.rms_norm_eps = file.try_float("llama.attention.layer_norm_rms_epsilon").value_or(1e-5);
  c.rope_base = file.try_float("llama.rope.freq_base").value_or(10000.0);
  c.rope_dims = file.try_uint("llama.rope.dimension_count").value_or(c.d_head);
  const std::string scaling = file.try_string("llama.rope.scaling.type").value_or("none");
  if (scaling == "linear")
    c.rope_linear_factor = file.get_float("llama.rope.scaling.factor");
  else if (scaling != "none")
    throw dictlab::PluginError(source + ": llama.rope.scaling.type '" + scaling +
                               "' is not supported (only 'none' and 'linear')");
  if (const auto old_linear = file.try_float("llama.rope.scale_linear")) c.rope_linear_factor = *old_linear;
  const GgufTensorInfo& embedding = file.tensor("token_embd.weight");
  if (embedding.dims.size() != 2)
    throw dictlab::PluginError(source + ": token_embd.weight has " + std::to_string(embedding.dims.size()) +
                               " dimensions, expected 2");
  c.d_vocab = embedding.dims[1];  // ne [d_model, vocab]
  c.rope_layout = RopeLayout::adjacent_pairs;  // llama.cpp's converter permuted Q and K for it
  c.validate(source);
  return c;
}

}  // namespace gguf_model

#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace toy_transformer {

// The architecture; saved as config.json (names as in TransformerLens'
// HookedTransformerConfig) so a stage directory describes itself.
struct TransformerConfig {
  std::int64_t d_vocab = 4096;
  std::int64_t n_ctx = 128;
  std::int64_t d_model = 128;
  std::int64_t d_mlp = 512;
  std::int64_t n_heads = 4;
  std::string act_fn = "relu";  // or "gelu"

  std::int64_t d_head() const { return d_model / n_heads; }

  nlohmann::json to_json() const {
    return {{"d_vocab", d_vocab}, {"n_ctx", n_ctx},     {"d_model", d_model}, {"d_mlp", d_mlp},
            {"n_heads", n_heads}, {"d_head", d_head()}, {"act_fn", act_fn},   {"n_layers", 1},
            {"normalization_type", "LN"}, {"positional_embedding_type", "standard"}};
  }
  static TransformerConfig from_json(const nlohmann::json& json) {
    TransformerConfig c;
    c.d_vocab = json.at("d_vocab");
    c.n_ctx = json.at("n_ctx");
    c.d_model = json.at("d_model");
    c.d_mlp = json.at("d_mlp");
    c.n_heads = json.at("n_heads");
    c.act_fn = json.at("act_fn");
    return c;
  }
};

}  // namespace toy_transformer

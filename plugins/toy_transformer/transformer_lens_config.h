#pragma once

#include <nlohmann/json.hpp>

#include "transformer_config.h"

namespace toy_transformer {

// transformer_lens_config.json: keyword arguments of TransformerLens'
// HookedTransformerConfig (checked against transformer-lens 3.9.0, whose
// from_dict refuses unknown keys), so that
//   HookedTransformerConfig(**json.load(open("transformer_lens_config.json")))
// builds this model without guessing. The toy has no BOS token: with
// TransformerLens' default (prepend one) it would look up an id past the
// vocabulary.
inline nlohmann::json transformer_lens_config(const TransformerConfig& c) {
  return {
      {"model_name", "dictlab-toy-transformer"},
      {"original_architecture", "dictlab.toy_transformer"},
      {"n_layers", 1},
      {"d_model", c.d_model},
      {"d_head", c.d_head()},
      {"n_heads", c.n_heads},
      {"d_mlp", c.d_mlp},
      {"d_vocab", c.d_vocab},
      {"d_vocab_out", c.d_vocab},
      {"n_ctx", c.n_ctx},
      {"act_fn", c.act_fn},  // "gelu" is torch's exact (erf) GELU in both
      {"normalization_type", "LN"},
      {"eps", 1e-5},
      {"positional_embedding_type", "standard"},
      {"attn_only", false},
      {"gated_mlp", false},
      {"default_prepend_bos", false},
      {"tokenizer_prepends_bos", false},
      {"init_weights", false},  // the weights come from model.safetensors
  };
}

}  // namespace toy_transformer

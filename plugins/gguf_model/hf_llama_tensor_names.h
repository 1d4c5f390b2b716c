#pragma once

// How Hugging Face's LlamaForCausalLM names the tensors llama.cpp calls
// token_embd.weight, blk.N.attn_q.weight, ...; shapes are torch's [out, in],
// the same in both (GGUF's ne reversed).

#include <cstdint>
#include <string>
#include <vector>

#include "llama_config.h"

namespace gguf_model {

struct HfTensorName {
  std::string hf;
  std::string gguf;
  std::vector<std::int64_t> shape;
};

// Every tensor of the model; lm_head.weight / output.weight only when untied.
inline std::vector<HfTensorName> hf_llama_tensor_names(const LlamaConfig& c, bool tied_embeddings) {
  const std::int64_t q = c.n_heads * c.d_head, kv = c.n_kv_heads * c.d_head;
  std::vector<HfTensorName> names = {{"model.embed_tokens.weight", "token_embd.weight", {c.d_vocab, c.d_model}}};
  for (std::int64_t layer = 0; layer < c.n_layers; ++layer) {
    const std::string hf = "model.layers." + std::to_string(layer) + ".", gguf = "blk." + std::to_string(layer) + ".";
    names.push_back({hf + "input_layernorm.weight", gguf + "attn_norm.weight", {c.d_model}});
    names.push_back({hf + "self_attn.q_proj.weight", gguf + "attn_q.weight", {q, c.d_model}});
    names.push_back({hf + "self_attn.k_proj.weight", gguf + "attn_k.weight", {kv, c.d_model}});
    names.push_back({hf + "self_attn.v_proj.weight", gguf + "attn_v.weight", {kv, c.d_model}});
    names.push_back({hf + "self_attn.o_proj.weight", gguf + "attn_output.weight", {c.d_model, q}});
    names.push_back({hf + "post_attention_layernorm.weight", gguf + "ffn_norm.weight", {c.d_model}});
    names.push_back({hf + "mlp.gate_proj.weight", gguf + "ffn_gate.weight", {c.d_mlp, c.d_model}});
    names.push_back({hf + "mlp.up_proj.weight", gguf + "ffn_up.weight", {c.d_mlp, c.d_model}});
    names.push_back({hf + "mlp.down_proj.weight", gguf + "ffn_down.weight", {c.d_model, c.d_mlp}});
  }
  names.push_back({"model.norm.weight", "output_norm.weight", {c.d_model}});
  if (!tied_embeddings) names.push_back({"lm_head.weight", "output.weight", {c.d_vocab, c.d_model}});
  return names;
}

}  // namespace gguf_model

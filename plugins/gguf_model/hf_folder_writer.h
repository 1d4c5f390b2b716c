#pragma once

// A GGUF llama-family model as a Hugging Face folder that transformers,
// TransformerLens and hf_folder_loader.h read: config.json
// (LlamaForCausalLM), model.safetensors (float32, Hugging Face names, Q and K
// rows back in the rotate_half layout), tokenizer.json and
// tokenizer_config.json (hf_bpe_tokenizer_json.h).

#include <filesystem>
#include <nlohmann/json.hpp>

#include "gguf_file.h"
#include "gguf_tokenizer_spec.h"
#include "llama_config.h"

namespace gguf_model {

// config.json for the model of `file`. Throws dictlab::PluginError naming
// the file for what config.json cannot say: RoPE over part of a head or
// Llama 3's per-frequency factors (rope_freqs.weight).
nlohmann::json hf_llama_config_json(const GgufFile& file, const LlamaConfig& config, const TokenizerSpec& tokenizer);

// Writes the four files into `folder` (created if absent; files replaced
// atomically). Throws dictlab::PluginError naming the GGUF file for a model
// or tokenizer it cannot express.
void write_hf_llama_folder(const std::filesystem::path& gguf, const std::filesystem::path& folder);

}  // namespace gguf_model

#pragma once

// A Hugging Face llama-family folder (config.json, one or more *.safetensors
// in F32/F16/BF16, tokenizer.json) as the LlamaModel and GgufTokenizer the
// GGUF loader gives: Hugging Face names are mapped to GGUF names and the
// model rotates halves (rotate_half), as Hugging Face checkpoints do.

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <string>

#include "gguf_tokenizer_spec.h"
#include "llama_config.h"
#include "llama_forward.h"
#include "llama_weights.h"

namespace gguf_model {

// The hyperparameters of <folder>/config.json (model_type "llama"),
// validated, with RopeLayout::halves. Throws dictlab::PluginError naming
// config.json and the key when a key is missing or has the wrong type, or
// for RoPE scaling other than linear.
LlamaConfig read_hf_llama_config(const std::filesystem::path& folder);

// Every tensor the model needs, as float32 keyed by GGUF name. Throws
// dictlab::PluginError naming the folder and the Hugging Face tensor name
// when one is missing, or the .safetensors file, the tensor, its shape and
// the expected one when the shape is wrong.
std::map<std::string, torch::Tensor> read_hf_llama_tensors(const std::filesystem::path& folder,
                                                           const LlamaConfig& config, bool tied_embeddings);

struct HfLlamaFolder {
  LlamaConfig config;
  LlamaWeights weights;
  TokenizerSpec tokenizer;  // run it with GgufTokenizer
};

HfLlamaFolder read_hf_llama_folder(const std::filesystem::path& folder, torch::Dtype dtype = torch::kFloat);

// The folder's model, weights as `dtype` (float32 or bfloat16).
LlamaModel load_hf_llama_model(const std::filesystem::path& folder, torch::Dtype dtype = torch::kFloat);

}  // namespace gguf_model

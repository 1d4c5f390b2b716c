#pragma once

#include <torch/torch.h>

#include <filesystem>

#include "gguf_tokenizer.h"
#include "llama_config.h"
#include "llama_forward.h"

namespace gguf_model {

// A pretrained llama-family model as a user has it: a GGUF file (llama.cpp's
// format) or a Hugging Face folder (config.json, *.safetensors,
// tokenizer.json). Stages name either in `file`; these read both.
bool is_hugging_face_folder(const std::filesystem::path& path);
LlamaConfig read_pretrained_config(const std::filesystem::path& path);
GgufTokenizer read_pretrained_tokenizer(const std::filesystem::path& path);
LlamaModel load_pretrained_model(const std::filesystem::path& path, torch::Dtype dtype);

// Writes the Hugging Face tokenizer.json, tokenizer_config.json and
// config.json of the model into `dir` (copied from a folder, made from a
// GGUF), so that AutoTokenizer.from_pretrained(dir) takes strings as it does.
void write_hugging_face_files(const std::filesystem::path& path, const std::filesystem::path& dir);

}  // namespace gguf_model

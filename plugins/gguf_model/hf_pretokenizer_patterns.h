#pragma once

// The pre-tokenizer patterns tokenizer.json files are written with and
// recognised by (hf_bpe_tokenizer_json.h).

#include <array>

namespace gguf_model::hf_patterns {

// The patterns of llama-vocab.cpp's regex sets, as Hugging Face's own
// tokenizer.json files for Llama 3 and Qwen2 spell them.
inline constexpr const char* kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
inline constexpr const char* kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
inline constexpr const char* kNumberPattern = R"(\p{N})";

// tokenizer.ggml.pre values, one per combination of the settings a
// tokenizer.json can express; reading maps a file back to the first match.
inline constexpr std::array kPreNames = {"gpt-2",  "trillion",  "starcoder", "smollm",
                                         "llama3", "smaug-bpe", "qwen2",     "stablelm2"};

}  // namespace gguf_model::hf_patterns

#pragma once

// A byte-level BPE TokenizerSpec (tokenizer.ggml.model "gpt2") as Hugging
// Face's tokenizer.json and tokenizer_config.json, and back, so that a GGUF
// tokenizer written out gives the same ids in `tokenizers` and
// `transformers.AutoTokenizer`, and a Hugging Face folder's tokenizer runs in
// GgufTokenizer.
//
// The pre-tokenizer is the regex set tokenizer.ggml.pre names, written as
// Split regexes with the exact patterns llama.cpp implements (rather than,
// say, `Digits`, whose notion of a digit is Rust's), then ByteLevel. Control
// tokens are added_tokens with special = true and tokenizer_config says
// split_special_tokens, so "<|im_start|>" typed in a text is spelled out as
// llama_tokenize(parse_special = false) does: strings are taken as-is.

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "gguf_tokenizer_spec.h"

namespace gguf_model {

// tokenizer.json for `spec` (hf_bpe_tokenizer_json.cc; reading is in
// hf_bpe_tokenizer_from_json.cc). Throws dictlab::PluginError naming spec.source
// for a model other than "gpt2", a pre-tokenizer without a Hugging Face
// equivalent here, or two tokens with the same text.
nlohmann::json hf_tokenizer_json(const TokenizerSpec& spec);

// tokenizer_config.json: bos/eos/unk/pad tokens, add_bos_token/add_eos_token
// as the spec says, split_special_tokens, and the chat template when given.
nlohmann::json hf_tokenizer_config_json(const TokenizerSpec& spec, std::optional<std::int64_t> model_max_length,
                                        const std::optional<std::string>& chat_template);

// Both files into `folder`, replaced atomically.
void write_hf_tokenizer(const std::filesystem::path& folder, const TokenizerSpec& spec,
                        std::optional<std::int64_t> model_max_length, const std::optional<std::string>& chat_template);

// The spec of a Hugging Face folder's tokenizer.json (and, when present,
// tokenizer_config.json beside it). Reads byte-level BPE with the
// pre-tokenizers hf_tokenizer_json writes and their usual spellings (GPT-2's
// ByteLevel regex, Digits(individual_digits) then ByteLevel). Throws
// dictlab::PluginError naming the file and the key for anything else.
TokenizerSpec tokenizer_spec_from_hf_folder(const std::filesystem::path& folder);

}  // namespace gguf_model

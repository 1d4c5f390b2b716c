#pragma once

// Everything a GGUF file says about its tokenizer, as plain data, so that the
// tokenizer does not depend on how the file is read (see
// gguf_tokenizer_from_file.h for the adapter from GgufFile).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace gguf_model {

// tokenizer.ggml.token_type values (gguf-py's TokenType).
enum class TokenType : std::int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

struct TokenizerSpec {
  std::string source;           // the file, for error messages
  std::string model;            // tokenizer.ggml.model: "gpt2" (byte-level BPE) or "llama" (SentencePiece)
  std::string pre;              // tokenizer.ggml.pre ("" when absent)
  std::vector<std::string> tokens;          // tokenizer.ggml.tokens
  std::vector<float> scores;                // tokenizer.ggml.scores (empty when absent)
  std::vector<std::int32_t> token_types;    // tokenizer.ggml.token_type (empty when absent)
  std::vector<std::string> merges;          // tokenizer.ggml.merges ("left right", rank = index)
  std::optional<std::int64_t> bos_id, eos_id, eot_id, eom_id, unk_id, sep_id, pad_id, mask_id;
  std::optional<std::int64_t> fim_pre_id, fim_suf_id, fim_mid_id, fim_pad_id, fim_rep_id, fim_sep_id;
  std::optional<bool> add_bos, add_eos, add_space_prefix;
  std::string general_name;     // general.name: llama.cpp strips spaces after Phi-3's special tokens
};

}  // namespace gguf_model

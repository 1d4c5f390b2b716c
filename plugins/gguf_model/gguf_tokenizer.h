#pragma once

// The tokenizer a GGUF file describes in its tokenizer.ggml.* metadata,
// giving the same ids as llama.cpp: byte-level BPE ("gpt2", with the
// pre-tokenizer tokenizer.ggml.pre names) or SentencePiece ("llama", with
// scores, <0xXX> byte fallback and the U+2581 space marker).

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf_tokenizer_spec.h"

namespace gguf_model {

// Immutable once built: every member is const, so threads may share one.
class GgufTokenizer {
 public:
  // Throws dictlab::PluginError naming spec.source for a tokenizer model or
  // pre-tokenizer this reader does not implement, or inconsistent metadata.
  explicit GgufTokenizer(const TokenizerSpec& spec);
  ~GgufTokenizer();
  GgufTokenizer(GgufTokenizer&&) noexcept;
  GgufTokenizer& operator=(GgufTokenizer&&) noexcept;

  // The ids of `text` (UTF-8; bad bytes count as U+FFFD), as llama_tokenize:
  //  - add_special: BOS first when the file's add_bos_token says so (and EOS
  //    last when add_eos_token does); false is node-llama-cpp's model.tokenize.
  //  - parse_special: a control token's text ("<|im_start|>") becomes that
  //    token; otherwise it is tokenized as text. User-defined tokens are
  //    matched either way. node-llama-cpp's model.tokenize(text) passes false,
  //    model.tokenize(text, true) passes true.
  std::vector<std::int32_t> encode(std::string_view text, bool add_special = false, bool parse_special = false) const;

  // The bytes `ids` stand for, as llama_detokenize (remove_special = false):
  // control and unknown tokens give nothing unless `render_special`. The
  // result may hold bytes that are not UTF-8 (a character cut between
  // tokens); see decode_text. Throws dictlab::PluginError for an id outside
  // the vocabulary.
  std::string decode(std::span<const std::int32_t> ids, bool render_special = false) const;

  // decode() made valid UTF-8 the way node-llama-cpp's detokenize hands it to
  // JavaScript: each maximal ill-formed subsequence becomes U+FFFD.
  std::string decode_text(std::span<const std::int32_t> ids, bool render_special = false) const;

  // The bytes one token stands for, control tokens rendered ("<|im_end|>"),
  // as llama_token_to_piece(special = true).
  const std::string& token_piece(std::int32_t id) const;

  // A token for display: its piece when that is printable UTF-8, otherwise
  // the vocabulary's own spelling ("<0xE4>", or GPT-2's "Ġ"-style text).
  std::string token_text(std::int32_t id) const;

  // The token's spelling in tokenizer.ggml.tokens.
  const std::string& vocab_text(std::int32_t id) const;

  std::size_t vocab_size() const;
  std::optional<std::int32_t> bos_id() const;
  std::optional<std::int32_t> eos_id() const;
  bool adds_bos() const;  // tokenizer.ggml.add_bos_token, or the model family's default
  bool adds_eos() const;
  bool is_control(std::int32_t id) const;
  bool is_end_of_generation(std::int32_t id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gguf_model

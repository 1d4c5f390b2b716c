#pragma once

// SentencePiece-style tokenizing of one piece of text ("llama" vocabularies):
// adjacent symbols merge while their concatenation is a token, the highest
// score first; what forms no token falls back to <0xXX> byte tokens. A port
// of llama.cpp's llm_tokenizer_spm_session.

#include <cstdint>
#include <string_view>
#include <vector>

#include "token_vocabulary.h"

namespace gguf_model {

// Appends the tokens of `text` (spaces already written as U+2581) to `out`.
// Throws dictlab::PluginError naming `source` when a byte has no token.
void spm_tokenize(std::string_view text, const TokenVocabulary& vocab, std::string_view source,
                  std::vector<std::int32_t>& out);

// The <0xXX> token of `byte` (or the token whose text is the byte itself), or kNoToken.
std::int32_t spm_byte_token(std::uint8_t byte, const TokenVocabulary& vocab);

}  // namespace gguf_model

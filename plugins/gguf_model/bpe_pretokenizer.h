#pragma once

// Splitting text into the words byte-level BPE merges within, as llama.cpp
// does for each `tokenizer.ggml.pre` value (llama-vocab.cpp). The regexes use
// \p{L} and \p{N}, which std::regex cannot express, so each supported regex
// set is written out by hand over the code points' categories.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gguf_model {

enum class PreTokenizerRegex {
  // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  kGpt2,
  // Each \p{N} on its own first, then kGpt2 (StarCoder, SmolLM...).
  kDigitsThenGpt2,
};

struct BpePreTokenizer {
  PreTokenizerRegex regex = PreTokenizerRegex::kGpt2;
  bool clean_spaces = true;    // detokenizing drops the space before "?!.," etc.
  bool ignore_merges = false;  // a word that is a whole token is kept whole
};

// What llama.cpp does for `pre` (the value of tokenizer.ggml.pre). Throws
// dictlab::PluginError naming `source` and the value when it is not one of
// the supported pre-tokenizers.
BpePreTokenizer bpe_pretokenizer_for(std::string_view pre, std::string_view source);

// The lengths, in code points, of the words `cpts` splits into.
std::vector<std::size_t> split_word_lengths(const std::vector<std::uint32_t>& cpts, PreTokenizerRegex regex);

}  // namespace gguf_model

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
  kGpt2,            // GPT-2's regex (see regex_splits.h)
  kDigitsThenGpt2,  // each \p{N} on its own first, then GPT-2's (StarCoder, SmolLM...)
  kLlama3,          // Llama 3's, numbers in groups of up to three digits
  kQwen2,           // Llama 3's with single digits
  kQwen35,          // Qwen2's with marks (\p{M}) joining letters
};

struct BpePreTokenizer {
  PreTokenizerRegex regex = PreTokenizerRegex::kGpt2;
  bool clean_spaces = true;    // detokenizing drops the space before "?!.," etc.
  bool ignore_merges = false;  // a word that is a whole token is kept whole
  bool add_bos = false;        // the default when the file has no tokenizer.ggml.add_bos_token
  bool bos_by_default = true;  // false: no BOS unless the file names one (GLM-4)
};

// What llama.cpp does for `pre` (the value of tokenizer.ggml.pre). Throws
// dictlab::PluginError naming `source` and the value when it is not one of
// the supported pre-tokenizers.
BpePreTokenizer bpe_pretokenizer_for(std::string_view pre, std::string_view source);

// The lengths, in code points, of the words `cpts` splits into.
std::vector<std::size_t> split_word_lengths(const std::vector<std::uint32_t>& cpts, PreTokenizerRegex regex);

}  // namespace gguf_model

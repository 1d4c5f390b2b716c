#pragma once

// Special tokens as llama.cpp settles them when it loads a vocabulary: the
// ids the file names (or the model family's defaults), the attributes it
// corrects by token text, and the split of input text around special tokens
// before the tokenizer proper sees it.

#include <cstdint>
#include <set>
#include <string_view>
#include <vector>

#include "gguf_tokenizer_spec.h"
#include "token_vocabulary.h"

namespace gguf_model {

struct SpecialTokenIds {
  std::int32_t bos = kNoToken, eos = kNoToken, eot = kNoToken, eom = kNoToken, unk = kNoToken;
  std::int32_t sep = kNoToken, pad = kNoToken, mask = kNoToken;
  std::int32_t fim_pre = kNoToken, fim_suf = kNoToken, fim_mid = kNoToken;
  std::int32_t fim_pad = kNoToken, fim_rep = kNoToken, fim_sep = kNoToken;
  std::set<std::int32_t> end_of_generation;
};

// The ids a model family assumes when its file names none (llama.cpp: 1, 2
// and 0 for SentencePiece; 11, 11 and none for BPE).
struct DefaultSpecialIds {
  std::int32_t bos = kNoToken, eos = kNoToken, unk = kNoToken;
};

// Settles the ids and corrects `vocab`'s attributes as llama-vocab.cpp's load
// does (a token whose text is "<|im_end|>", "<|endoftext|>"... is made a
// control token even if the file says otherwise).
SpecialTokenIds settle_special_tokens(const TokenizerSpec& spec, DefaultSpecialIds defaults, TokenVocabulary& vocab);

// The ids matched in text before tokenizing, longest text first (control,
// user-defined and unknown tokens).
std::vector<std::int32_t> special_tokens_by_length(const TokenVocabulary& vocab);

// A piece of the input: a special token already, or text to tokenize.
struct TextFragment {
  std::int32_t token = kNoToken;  // kNoToken for text
  std::size_t offset = 0;
  std::size_t length = 0;
};

// Splits `text` at each occurrence of a special token, longest tokens first,
// as llama.cpp's tokenizer_st_partition does. Without `parse_special` only
// user-defined tokens are matched (control and unknown tokens stay text).
std::vector<TextFragment> split_at_special_tokens(std::string_view text, const std::vector<std::int32_t>& specials,
                                                  const TokenVocabulary& vocab, bool parse_special);

}  // namespace gguf_model

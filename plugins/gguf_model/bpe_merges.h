#pragma once

// Byte-level BPE within one word: adjacent symbols merge, lowest merge rank
// first, as llama.cpp's llm_tokenizer_bpe_session does.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "token_vocabulary.h"

namespace gguf_model {

class BpeMergeRanks {
 public:
  // `merges` as tokenizer.ggml.merges holds them: "left right", rank = index;
  // the first of two equal merges keeps its rank.
  explicit BpeMergeRanks(const std::vector<std::string>& merges);

  // The rank of merging `left` with `right`, or -1 if they do not merge.
  int rank(std::string_view left, std::string_view right) const;

 private:
  using Key = std::pair<std::string_view, std::string_view>;
  struct Hash {
    std::size_t operator()(const Key& k) const {
      return std::hash<std::string_view>{}(k.first) ^ (std::hash<std::string_view>{}(k.second) << 1);
    }
  };
  std::vector<std::string> storage_;  // the merges; keys point into them
  std::unordered_map<Key, int, Hash> ranks_;
};

// Appends the tokens of `word` (already byte-level encoded) to `out`. With
// `ignore_merges`, a word that is itself a token stays whole.
void bpe_tokenize_word(std::string_view word, const TokenVocabulary& vocab, const BpeMergeRanks& ranks,
                       bool ignore_merges, std::vector<std::int32_t>& out);

}  // namespace gguf_model

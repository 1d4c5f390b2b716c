#include "bpe_merges.h"

#include <queue>

#include "unicode_flags.h"

namespace gguf_model {

BpeMergeRanks::BpeMergeRanks(const std::vector<std::string>& merges) : storage_(merges) {
  ranks_.reserve(storage_.size());
  for (std::size_t i = 0; i < storage_.size(); ++i) {
    const std::string_view merge = storage_[i];
    // llama.cpp splits at the first space after the first byte; a merge
    // without one becomes the pair ("", "") and never applies.
    const std::size_t space = merge.find(' ', 1);
    Key key{};
    if (space != std::string_view::npos) key = Key{merge.substr(0, space), merge.substr(space + 1)};
    ranks_.emplace(key, static_cast<int>(i));
  }
}

int BpeMergeRanks::rank(std::string_view left, std::string_view right) const {
  const auto it = ranks_.find(Key{left, right});
  return it == ranks_.end() ? -1 : it->second;
}

namespace {

struct Symbol {
  int prev;
  int next;
  std::size_t offset;  // into the word
  std::size_t length;  // 0 once merged into its left neighbour
};

struct Bigram {
  int left;
  int right;
  int rank;
  std::size_t length;  // bytes of the merged text when the bigram was queued
};

// Lowest rank first, then leftmost.
struct LaterBigram {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

}  // namespace

void bpe_tokenize_word(std::string_view word, const TokenVocabulary& vocab, const BpeMergeRanks& ranks,
                       bool ignore_merges, std::vector<std::int32_t>& out) {
  if (word.empty()) return;
  if (ignore_merges) {
    if (const std::int32_t id = vocab.find(word); id != kNoToken) {
      out.push_back(id);
      return;
    }
  }
  std::vector<Symbol> symbols;
  for (std::size_t offset = 0; offset < word.size();) {
    const std::size_t length = std::min(word.size() - offset, utf8_length_from_lead(word[offset]));
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({index - 1, offset + length == word.size() ? -1 : index + 1, offset, length});
    offset += length;
  }
  const auto text_of = [&](const Symbol& s) { return word.substr(s.offset, s.length); };

  std::priority_queue<Bigram, std::vector<Bigram>, LaterBigram> queue;
  const auto add_bigram = [&](int left, int right) {
    if (left == -1 || right == -1) return;
    const int rank = ranks.rank(text_of(symbols[left]), text_of(symbols[right]));
    if (rank < 0) return;
    queue.push({left, right, rank, symbols[left].length + symbols[right].length});
  };
  for (int i = 1; i < static_cast<int>(symbols.size()); ++i) add_bigram(i - 1, i);

  while (!queue.empty()) {
    const Bigram bigram = queue.top();
    queue.pop();
    Symbol& left = symbols[bigram.left];
    Symbol& right = symbols[bigram.right];
    // Stale when either side has merged since: the left symbol's start never
    // moves, so the same length means the same text.
    if (left.length == 0 || right.length == 0 || left.length + right.length != bigram.length) continue;
    left.length += right.length;
    right.length = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = bigram.left;
    add_bigram(left.prev, bigram.left);
    add_bigram(bigram.left, left.next);
  }

  for (const Symbol& symbol : symbols) {
    if (symbol.length == 0) continue;
    const std::string_view text = text_of(symbol);
    if (const std::int32_t id = vocab.find(text); id != kNoToken) {
      out.push_back(id);
      continue;
    }
    // No such token: llama.cpp then tries each byte of the text on its own.
    for (const char byte : text)
      if (const std::int32_t id = vocab.find(std::string_view(&byte, 1)); id != kNoToken) out.push_back(id);
  }
}

}  // namespace gguf_model

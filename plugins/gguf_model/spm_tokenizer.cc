#include "spm_tokenizer.h"

#include <map>
#include <queue>
#include <string>
#include <utility>

#include "dictlab/errors.h"
#include "unicode_flags.h"

namespace gguf_model {
namespace {

struct Symbol {
  int prev;
  int next;
  std::size_t offset;
  std::size_t length;  // 0 once merged into its left neighbour
};

struct Bigram {
  int left;
  int right;
  float score;
  std::size_t length;
};

// Highest score first, then leftmost.
struct WorseBigram {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

class SpmSession {
 public:
  SpmSession(std::string_view text, const TokenVocabulary& vocab, std::string_view source)
      : text_(text), vocab_(vocab), source_(source) {}

  void run(std::vector<std::int32_t>& out) {
    for (std::size_t offset = 0; offset < text_.size();) {
      const std::size_t length = std::min(utf8_length_from_lead(text_[offset]), text_.size() - offset);
      const int index = static_cast<int>(symbols_.size());
      symbols_.push_back({index - 1, offset + length == text_.size() ? -1 : index + 1, offset, length});
      offset += length;
    }
    for (int i = 1; i < static_cast<int>(symbols_.size()); ++i) try_add_bigram(i - 1, i);
    while (!queue_.empty()) {
      const Bigram bigram = queue_.top();
      queue_.pop();
      Symbol& left = symbols_[bigram.left];
      Symbol& right = symbols_[bigram.right];
      if (left.length == 0 || right.length == 0 || left.length + right.length != bigram.length) continue;
      left.length += right.length;
      right.length = 0;
      left.next = right.next;
      if (right.next >= 0) symbols_[right.next].prev = bigram.left;
      try_add_bigram(left.prev, bigram.left);
      try_add_bigram(bigram.left, left.next);
    }
    if (symbols_.empty()) return;
    for (int i = 0; i != -1; i = symbols_[i].next) resegment(symbols_[i], out);
  }

 private:
  std::string_view text_of(const Symbol& s) const { return text_.substr(s.offset, s.length); }

  void try_add_bigram(int left, int right) {
    if (left == -1 || right == -1) return;
    const std::string_view merged = text_.substr(symbols_[left].offset, symbols_[left].length + symbols_[right].length);
    const std::int32_t id = vocab_.find(merged);
    if (id == kNoToken) return;
    queue_.push({left, right, vocab_.score(id), merged.size()});
    // The last pair queued for a text is the one resegment splits it into.
    last_merge_[std::string(merged)] = {left, right};
  }

  // A symbol that is no token is split back into the pair that formed it,
  // and a single character that is no token into byte tokens.
  void resegment(const Symbol& symbol, std::vector<std::int32_t>& out) {
    const std::string_view text = text_of(symbol);
    if (const std::int32_t id = vocab_.find(text); id != kNoToken) {
      out.push_back(id);
      return;
    }
    const auto merge = last_merge_.find(std::string(text));
    if (merge == last_merge_.end()) {
      for (const char c : text) {
        const std::int32_t id = spm_byte_token(static_cast<std::uint8_t>(c), vocab_);
        if (id == kNoToken) {
          throw dictlab::PluginError(std::string(source_) + ": the vocabulary has no byte token for 0x" +
                                     "0123456789ABCDEF"[static_cast<std::uint8_t>(c) >> 4] +
                                     "0123456789ABCDEF"[static_cast<std::uint8_t>(c) & 15] +
                                     " (tokenizer.ggml.tokens lacks <0xXX> byte-fallback tokens)");
        }
        out.push_back(id);
      }
      return;
    }
    resegment(symbols_[merge->second.first], out);
    resegment(symbols_[merge->second.second], out);
  }

  std::string_view text_;
  const TokenVocabulary& vocab_;
  std::string_view source_;
  std::vector<Symbol> symbols_;
  std::priority_queue<Bigram, std::vector<Bigram>, WorseBigram> queue_;
  std::map<std::string, std::pair<int, int>> last_merge_;
};

}  // namespace

std::int32_t spm_byte_token(std::uint8_t byte, const TokenVocabulary& vocab) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  const char name[6] = {'<', '0', 'x', kHex[byte >> 4], kHex[byte & 15], '>'};
  if (const std::int32_t id = vocab.find(std::string_view(name, 6)); id != kNoToken) return id;
  const char raw = static_cast<char>(byte);
  return vocab.find(std::string_view(&raw, 1));
}

void spm_tokenize(std::string_view text, const TokenVocabulary& vocab, std::string_view source,
                  std::vector<std::int32_t>& out) {
  SpmSession(text, vocab, source).run(out);
}

}  // namespace gguf_model

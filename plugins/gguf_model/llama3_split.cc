#include "regex_splits.h"

#include "unicode_flags.h"

namespace gguf_model {
namespace {

constexpr std::uint32_t kOutOfRange = 0xFFFFFFFF;

// The only code points whose lowercase is one of the contraction letters are
// their ASCII capitals (UnicodeData.txt), so ASCII lowercasing is exact here.
std::uint32_t ascii_lower(std::uint32_t cpt) { return cpt >= 'A' && cpt <= 'Z' ? cpt + ('a' - 'A') : cpt; }

bool is_line_break(std::uint32_t cpt) { return cpt == '\r' || cpt == '\n'; }

// A port of llama.cpp's unicode_regex_split_custom_llama3 / _qwen2 / _qwen35
// for one piece [begin, end).
class Llama3Splitter {
 public:
  Llama3Splitter(const std::vector<std::uint32_t>& cpts, std::size_t begin, std::size_t end, Llama3Regex regex,
                 PieceLengths& out)
      : cpts_(cpts), begin_(begin), end_(end), regex_(regex), out_(out), previous_end_(begin) {}

  void run() {
    for (std::size_t pos = begin_; pos < end_;) pos = next_word_end(pos);
  }

 private:
  std::uint32_t cpt_at(std::size_t pos) const { return pos >= begin_ && pos < end_ ? cpts_[pos] : kOutOfRange; }
  CodepointFlags flags_at(std::size_t pos) const {
    return pos >= begin_ && pos < end_ ? codepoint_flags(cpts_[pos]) : CodepointFlags{};
  }
  bool letter(const CodepointFlags& f) const {
    return f.letter() || (regex_.marks_are_letters && f.category == CodepointCategory::kMark);
  }
  // [^\s\p{L}\p{N}] (and not \p{M} where marks are letters), true outside the piece.
  bool other(const CodepointFlags& f) const { return !f.whitespace && !letter(f) && !f.number(); }

  std::size_t add_word(std::size_t end) {
    if (end > previous_end_) out_.push_back(end - previous_end_);
    previous_end_ = end;
    return end;
  }

  // Matches the alternatives at `pos` in the regex's order; returns where
  // the word ends.
  std::size_t next_word_end(std::size_t pos) {
    const std::uint32_t cpt = cpt_at(pos);
    const CodepointFlags flags = flags_at(pos);
    if (cpt == '\'' && pos + 1 < end_) {  // (?i:'s|'t|'re|'ve|'m|'ll|'d)
      const std::uint32_t next = ascii_lower(cpt_at(pos + 1));
      if (next == 's' || next == 't' || next == 'm' || next == 'd') return add_word(pos + 2);
      if (pos + 2 < end_) {
        const std::uint32_t next2 = ascii_lower(cpt_at(pos + 2));
        if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l'))
          return add_word(pos + 3);
      }
    }
    if (!is_line_break(cpt) && !flags.number() && (letter(flags) || letter(flags_at(pos + 1)))) {
      ++pos;  // [^\r\n\p{L}\p{N}]?\p{L}+
      while (letter(flags_at(pos))) ++pos;
      return add_word(pos);
    }
    if (flags.number()) {  // \p{N}{1,max_digits}
      std::size_t first = pos;
      while (flags_at(pos).number())
        if (++pos - first >= regex_.max_digits) first = add_word(pos);
      return add_word(pos);
    }
    // " ?[^\s\p{L}\p{N}]+[\r\n]*": llama.cpp tests the code point after the
    // space without checking it is inside the piece, so a lone trailing space
    // matches here.
    CodepointFlags after_space = cpt == ' ' ? flags_at(pos + 1) : flags;
    if (other(after_space)) {
      pos += cpt == ' ' ? 1 : 0;
      while (other(after_space) && !after_space.outside()) after_space = flags_at(++pos);
      while (is_line_break(cpt_at(pos))) ++pos;
      return add_word(pos);
    }
    return whitespace_word_end(pos);
  }

  std::size_t whitespace_word_end(std::size_t pos) {
    std::size_t spaces = 0;
    std::size_t after_line_break = 0;
    for (; flags_at(pos + spaces).whitespace; ++spaces)
      if (is_line_break(cpt_at(pos + spaces))) after_line_break = pos + spaces + 1;
    if (after_line_break > 0) return add_word(after_line_break);                         // \s*[\r\n]+
    if (spaces > 1 && cpt_at(pos + spaces) != kOutOfRange) return add_word(pos + spaces - 1);  // \s+(?!\S)
    if (spaces > 0) return add_word(pos + spaces);                                        // \s+
    return add_word(pos + 1);  // nothing matches: one code point alone
  }

  const std::vector<std::uint32_t>& cpts_;
  std::size_t begin_, end_;
  Llama3Regex regex_;
  PieceLengths& out_;
  std::size_t previous_end_;
};

}  // namespace

PieceLengths split_llama3(const std::vector<std::uint32_t>& cpts, const PieceLengths& pieces, Llama3Regex regex) {
  return split_each_piece(pieces, [&](std::size_t begin, std::size_t end, PieceLengths& out) {
    Llama3Splitter(cpts, begin, end, regex, out).run();
  });
}

}  // namespace gguf_model

#include "regex_splits.h"

#include "unicode_flags.h"

namespace gguf_model {
namespace {

// Splits one piece [begin, end) by the GPT-2 regex, a port of llama.cpp's
// unicode_regex_split_custom_gpt2 (whose corner cases decide the tokens).
void split_gpt2_piece(const std::vector<std::uint32_t>& cpts, std::size_t begin, std::size_t end,
                      std::vector<std::size_t>& out) {
  constexpr std::uint32_t kOutOfRange = 0xFFFFFFFF;
  const auto cpt_at = [&](std::size_t pos) { return pos >= begin && pos < end ? cpts[pos] : kOutOfRange; };
  const auto flags_at = [&](std::size_t pos) {
    return pos >= begin && pos < end ? codepoint_flags(cpts[pos]) : CodepointFlags{};
  };
  const auto other = [](const CodepointFlags& f) { return !f.whitespace && !f.letter() && !f.number() && !f.outside(); };

  std::size_t previous_end = begin;
  const auto add_word = [&](std::size_t word_end) {
    const std::size_t length = word_end - previous_end;
    if (length > 0) out.push_back(length);
    previous_end = word_end;
    return length;
  };

  for (std::size_t pos = begin; pos < end;) {
    const std::uint32_t cpt = cpt_at(pos);
    const CodepointFlags flags = flags_at(pos);
    if (cpt == '\'' && pos + 1 < end) {  // 's|'t|'re|'ve|'m|'ll|'d
      const std::uint32_t next = cpt_at(pos + 1);
      if (next == 's' || next == 't' || next == 'm' || next == 'd') {
        pos += add_word(pos + 2);
        continue;
      }
      if (pos + 2 < end) {
        const std::uint32_t next2 = cpt_at(pos + 2);
        if ((next == 'r' && next2 == 'e') || (next == 'v' && next2 == 'e') || (next == 'l' && next2 == 'l')) {
          pos += add_word(pos + 3);
          continue;
        }
      }
    }
    // " ?\p{L}+", " ?\p{N}+", " ?[^\s\p{L}\p{N}]+": the class of the code
    // point after an optional space decides which.
    const CodepointFlags head = cpt == ' ' ? flags_at(pos + 1) : flags;
    if (head.letter() || head.number() || other(head)) {
      const auto same_class = [&](const CodepointFlags& f) {
        return head.letter() ? f.letter() : head.number() ? f.number() : other(f);
      };
      pos += cpt == ' ' ? 1 : 0;
      while (same_class(flags_at(pos))) ++pos;
      add_word(pos);
      continue;
    }
    std::size_t spaces = 0;
    while (flags_at(pos + spaces).whitespace) ++spaces;
    if (spaces > 1 && cpt_at(pos + spaces) != kOutOfRange) {  // \s+(?!\S)
      pos += spaces - 1;
      add_word(pos);
      continue;
    }
    if (spaces > 0) {  // \s+
      pos += spaces;
      add_word(pos);
      continue;
    }
    add_word(++pos);  // no alternative matches: one code point alone
  }
}

}  // namespace

PieceLengths split_isolating_numbers(const std::vector<std::uint32_t>& cpts, const PieceLengths& pieces) {
  // llama.cpp runs this one through std::regex over a copy of the text with
  // every non-ASCII code point collapsed to a byte per category, white space
  // first: a number is a number code point that is not white space.
  return split_each_piece(pieces, [&](std::size_t begin, std::size_t end, PieceLengths& out) {
    std::size_t run = 0;
    for (std::size_t i = begin; i < end; ++i) {
      const CodepointFlags flags = codepoint_flags(cpts[i]);
      if (flags.number() && !flags.whitespace) {
        if (run > 0) out.push_back(run);
        out.push_back(1);
        run = 0;
      } else {
        ++run;
      }
    }
    if (run > 0) out.push_back(run);
  });
}

PieceLengths split_gpt2(const std::vector<std::uint32_t>& cpts, const PieceLengths& pieces) {
  return split_each_piece(pieces, [&](std::size_t begin, std::size_t end, PieceLengths& out) {
    split_gpt2_piece(cpts, begin, end, out);
  });
}

}  // namespace gguf_model

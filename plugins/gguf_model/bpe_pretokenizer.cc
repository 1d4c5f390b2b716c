#include "bpe_pretokenizer.h"

#include <array>
#include <string>

#include "dictlab/errors.h"
#include "unicode_flags.h"

namespace gguf_model {
namespace {

struct PreTokenizerName {
  std::string_view name;
  BpePreTokenizer settings;
};

constexpr auto kGpt2 = PreTokenizerRegex::kGpt2;
constexpr auto kDigits = PreTokenizerRegex::kDigitsThenGpt2;

// The names llama-vocab.cpp maps to these two regex sets, with the flags it
// sets beside them.
constexpr std::array kNames = {
    PreTokenizerName{"gpt-2", {kGpt2, true, false}},        PreTokenizerName{"phi-2", {kGpt2, true, false}},
    PreTokenizerName{"jina-es", {kGpt2, true, false}},      PreTokenizerName{"jina-de", {kGpt2, true, false}},
    PreTokenizerName{"gigachat", {kGpt2, true, false}},     PreTokenizerName{"jina-v2-es", {kGpt2, true, false}},
    PreTokenizerName{"jina-v2-de", {kGpt2, true, false}},   PreTokenizerName{"a.x-4.0", {kGpt2, true, false}},
    PreTokenizerName{"mellum", {kGpt2, true, false}},       PreTokenizerName{"modern-bert", {kGpt2, true, false}},
    PreTokenizerName{"jina-v1-en", {kGpt2, true, false}},   PreTokenizerName{"jina-v2-code", {kGpt2, true, false}},
    PreTokenizerName{"roberta-bpe", {kGpt2, true, false}},  PreTokenizerName{"mpt", {kGpt2, true, false}},
    PreTokenizerName{"olmo", {kGpt2, true, false}},         PreTokenizerName{"jais", {kGpt2, true, false}},
    PreTokenizerName{"exaone4", {kGpt2, true, false}},      PreTokenizerName{"trillion", {kGpt2, false, false}},
    PreTokenizerName{"granite-docling", {kGpt2, false, false}},
    PreTokenizerName{"starcoder", {kDigits, true, false}},  PreTokenizerName{"refact", {kDigits, true, false}},
    PreTokenizerName{"command-r", {kDigits, false, false}}, PreTokenizerName{"smollm", {kDigits, false, false}},
    PreTokenizerName{"codeshell", {kDigits, true, false}},  PreTokenizerName{"exaone", {kDigits, true, false}},
    PreTokenizerName{"minerva-7b", {kDigits, true, false}}, PreTokenizerName{"mellum2", {kDigits, true, false}},
};

// llama.cpp's regex "\p{N}" run through std::regex: every number code point
// becomes a word of its own, the text between them another.
std::vector<std::size_t> isolate_digits(const std::vector<std::uint32_t>& cpts,
                                        const std::vector<std::size_t>& lengths) {
  std::vector<std::size_t> out;
  out.reserve(lengths.size() * 2);
  std::size_t start = 0;
  for (const std::size_t length : lengths) {
    std::size_t run = 0;
    for (std::size_t i = start; i < start + length; ++i) {
      const auto flags = codepoint_flags(cpts[i]);
      if (flags.number() && !flags.whitespace) {
        if (run > 0) out.push_back(run);
        out.push_back(1);
        run = 0;
      } else {
        ++run;
      }
    }
    if (run > 0) out.push_back(run);
    start += length;
  }
  return out;
}

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

std::vector<std::size_t> split_gpt2(const std::vector<std::uint32_t>& cpts, const std::vector<std::size_t>& lengths) {
  std::vector<std::size_t> out;
  out.reserve(lengths.size());
  std::size_t start = 0;
  for (const std::size_t length : lengths) {
    split_gpt2_piece(cpts, start, start + length, out);
    start += length;
  }
  return out;
}

}  // namespace

BpePreTokenizer bpe_pretokenizer_for(std::string_view pre, std::string_view source) {
  for (const auto& entry : kNames)
    if (entry.name == pre) return entry.settings;
  std::string known;
  for (const auto& entry : kNames) known += (known.empty() ? "" : ", ") + std::string(entry.name);
  throw dictlab::PluginError(std::string(source) + ": tokenizer.ggml.pre is \"" + std::string(pre) +
                             "\", a pre-tokenizer this reader does not implement (supported: " + known + ")");
}

std::vector<std::size_t> split_word_lengths(const std::vector<std::uint32_t>& cpts, PreTokenizerRegex regex) {
  std::vector<std::size_t> lengths{cpts.size()};
  if (cpts.empty()) return {};
  if (regex == PreTokenizerRegex::kDigitsThenGpt2) lengths = isolate_digits(cpts, lengths);
  return split_gpt2(cpts, lengths);
}

}  // namespace gguf_model

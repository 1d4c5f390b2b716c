#include "famous_text.h"

#include <cstring>
#include <optional>
#include <string_view>

#include "unicode.h"

namespace text_kinds {
namespace {

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_nucleotide(char c) { return c != '\0' && std::strchr("ACGTNacgtn", c) != nullptr; }
bool is_base64(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' || c == '/' || c == '=';
}

// Calls `mark(begin, end)` for each maximal run of characters that `belongs`.
template <typename Belongs, typename Mark>
void for_each_run(std::string_view text, Belongs belongs, Mark mark) {
  for (std::size_t i = 0; i < text.size();) {
    if (!belongs(text[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && belongs(text[end])) ++end;
    mark(i, end);
    i = end;
  }
}

void mark_scripts(std::string_view text, std::vector<FamousText>& kind) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t begin = i;
    const char* script = script_of(next_code_point(text, i));
    if (script == nullptr) continue;
    const FamousText k = std::strcmp(script, "Arabic") == 0   ? FamousText::kArabic
                         : std::strcmp(script, "Hebrew") == 0 ? FamousText::kHebrew
                                                              : FamousText::kOther;
    for (std::size_t b = begin; b < i; ++b) kind[b] = k;
  }
}

void mark_dna(std::string_view text, std::vector<FamousText>& kind) {
  constexpr int kMinimumBases = 24;
  for_each_run(
      text, [](char c) { return is_nucleotide(c) || is_digit(c) || is_space(c); },
      [&](std::size_t begin, std::size_t end) {
        int bases = 0;
        for (std::size_t i = begin; i < end; ++i) bases += is_nucleotide(text[i]);
        if (bases < kMinimumBases) return;
        for (std::size_t i = begin; i < end; ++i)
          if (is_nucleotide(text[i])) kind[i] = FamousText::kDna;  // line numbers and spaces stay unclassified
      });
}

void mark_base64(std::string_view text, std::vector<FamousText>& kind) {
  constexpr std::size_t kMinimumLength = 32;
  for_each_run(text, is_base64, [&](std::size_t begin, std::size_t end) {
    if (end - begin < kMinimumLength) return;
    bool upper = false, lower = false, symbol = false;
    for (std::size_t i = begin; i < end; ++i) {
      const char c = text[i];
      upper |= c >= 'A' && c <= 'Z';
      lower |= c >= 'a' && c <= 'z';
      symbol |= is_digit(c) || c == '+' || c == '/';
    }
    if (!(upper && lower && symbol)) return;  // a long word, a hex digest or DNA, not base64
    for (std::size_t i = begin; i < end; ++i) kind[i] = FamousText::kBase64;
  });
}

}  // namespace

const char* name_of(FamousText kind) {
  switch (kind) {
    case FamousText::kArabic: return "arabic";
    case FamousText::kHebrew: return "hebrew";
    case FamousText::kDna: return "dna";
    case FamousText::kBase64: return "base64";
    case FamousText::kOther: break;
  }
  return "other";
}

std::vector<FamousText> classify_tokens(const std::vector<std::string>& token_bytes) {
  std::string text;
  for (const auto& token : token_bytes) text += token;
  std::vector<FamousText> byte_kind(text.size(), FamousText::kOther);
  mark_scripts(text, byte_kind);
  mark_dna(text, byte_kind);
  mark_base64(text, byte_kind);

  std::vector<FamousText> kinds;
  kinds.reserve(token_bytes.size());
  std::size_t offset = 0;
  for (const auto& token : token_bytes) {
    std::optional<FamousText> shared;  // the kind all its non-space bytes agree on
    bool agree = true;
    for (std::size_t i = offset; i < offset + token.size(); ++i) {
      if (is_space(text[i])) continue;
      if (shared && *shared != byte_kind[i]) agree = false;
      shared = byte_kind[i];
    }
    kinds.push_back(agree && shared ? *shared : FamousText::kOther);
    offset += token.size();
  }
  return kinds;
}

}  // namespace text_kinds

#pragma once

// Code points and their Unicode general category, as llama.cpp's tokenizer
// sees them: the pre-tokenizer's \p{L}, \p{N} and \s, and UTF-8 decoding that
// turns each bad byte into U+FFFD instead of failing.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace gguf_model {

// The general category's first letter (Z split off as "separator", C without
// Cn), one per code point; kOutside for a position past the end of the text.
enum class CodepointCategory : std::uint8_t {
  kOutside,
  kUndefined,
  kNumber,
  kLetter,
  kSeparator,
  kMark,
  kPunctuation,
  kSymbol,
  kControl,
};

struct CodepointFlags {
  CodepointCategory category = CodepointCategory::kOutside;
  bool whitespace = false;  // Unicode White_Space, what regex \s matches

  bool outside() const { return category == CodepointCategory::kOutside; }
  bool letter() const { return category == CodepointCategory::kLetter; }
  bool number() const { return category == CodepointCategory::kNumber; }
};

CodepointFlags codepoint_flags(std::uint32_t cpt);

// Decodes UTF-8 as llama.cpp does: a byte that does not start a complete
// sequence becomes U+FFFD and decoding resumes at the next byte. (Like
// llama.cpp it does not reject overlong forms or surrogates.)
std::vector<std::uint32_t> decode_utf8_lenient(std::string_view text);

void append_utf8(std::string& out, std::uint32_t cpt);

// Bytes of the UTF-8 sequence that starts with `lead` (1 for a stray
// continuation byte), from the lead byte alone.
inline std::size_t utf8_length_from_lead(char lead) {
  static constexpr std::size_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[static_cast<unsigned char>(lead) >> 4];
}

}  // namespace gguf_model

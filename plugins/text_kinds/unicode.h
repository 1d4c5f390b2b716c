#pragma once

#include <string_view>

namespace text_kinds {

// Decodes one UTF-8 code point at `i` (advancing it); invalid bytes become U+FFFD.
inline char32_t next_code_point(std::string_view text, std::size_t& i) {
  const auto byte = static_cast<unsigned char>(text[i++]);
  if (byte < 0x80) return byte;
  const int extra = byte >= 0xF0 ? 3 : byte >= 0xE0 ? 2 : byte >= 0xC0 ? 1 : -1;
  if (extra < 0 || i + static_cast<std::size_t>(extra) > text.size()) return 0xFFFD;
  char32_t code = byte & (0x3F >> extra);
  for (int k = 0; k < extra; ++k) code = (code << 6) | (static_cast<unsigned char>(text[i++]) & 0x3F);
  return code;
}

// The writing system of a letter ("Latin", "Arabic", "Hebrew"...), or nullptr
// for anything else (digits, punctuation, symbols, unlisted scripts).
inline const char* script_of(char32_t c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= 0xC0 && c <= 0x24F)) return "Latin";
  if (c >= 0x370 && c <= 0x3FF) return "Greek";
  if (c >= 0x400 && c <= 0x52F) return "Cyrillic";
  if (c >= 0x590 && c <= 0x5FF) return "Hebrew";
  if ((c >= 0x600 && c <= 0x6FF) || (c >= 0x750 && c <= 0x77F) || (c >= 0xFB50 && c <= 0xFEFF)) return "Arabic";
  if (c >= 0x900 && c <= 0x97F) return "Devanagari";
  if (c >= 0x3040 && c <= 0x30FF) return "Japanese kana";
  if (c >= 0xAC00 && c <= 0xD7AF) return "Hangul";
  if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF)) return "Han";
  return nullptr;
}

}  // namespace text_kinds

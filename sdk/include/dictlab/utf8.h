#pragma once

// UTF-8 checks for text that comes from outside (people's labels, imported
// files): find where a string stops being UTF-8, or make it UTF-8 by
// replacing each bad byte with U+FFFD, so that one bad row can be shown
// instead of stopping every reader (nlohmann::json::dump throws on it).

#include <cstddef>
#include <string>
#include <string_view>

namespace dictlab {

// Length of the well-formed UTF-8 sequence at text[i], or 0 if none starts
// there (overlong forms, surrogates and code points past U+10FFFF included).
inline std::size_t utf8_sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  std::size_t n = 0;
  unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) n = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) n = 3, low = lead == 0xE0 ? 0xA0 : 0x80, high = lead == 0xED ? 0x9F : 0xBF;
  else if (lead >= 0xF0 && lead <= 0xF4) n = 4, low = lead == 0xF0 ? 0x90 : 0x80, high = lead == 0xF4 ? 0x8F : 0xBF;
  else return 0;
  if (i + n > text.size() || byte(i + 1) < low || byte(i + 1) > high) return 0;
  for (std::size_t k = 2; k < n; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return n;
}

// The offset of the first byte that is not part of well-formed UTF-8, or npos.
inline std::size_t invalid_utf8_at(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) return i;
    i += n;
  }
  return std::string_view::npos;
}

// `text` with every byte that is not part of well-formed UTF-8 replaced by U+FFFD.
inline std::string replace_invalid_utf8(std::string_view text) {
  if (invalid_utf8_at(text) == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) out += "\xEF\xBF\xBD", ++i;
    else out.append(text.substr(i, n)), i += n;
  }
  return out;
}

}  // namespace dictlab

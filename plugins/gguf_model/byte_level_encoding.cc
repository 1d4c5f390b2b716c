#include "byte_level_encoding.h"

#include <array>
#include <cstdio>

#include "unicode_flags.h"

namespace gguf_model {
namespace {

// Printable Latin-1 bytes stand for themselves; the other 68 bytes, in
// order, take the code points from U+0100 on.
struct ByteMap {
  std::array<std::uint32_t, 256> to_codepoint{};
  std::array<std::string, 256> to_utf8;
  std::array<std::int16_t, 0x200> from_codepoint{};  // -1: not a byte
  ByteMap() {
    from_codepoint.fill(-1);
    std::uint32_t next = 256;
    for (int byte = 0; byte < 256; ++byte) {
      const bool printable = (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) || byte >= 0xAE;
      const std::uint32_t cpt = printable ? static_cast<std::uint32_t>(byte) : next++;
      to_codepoint[byte] = cpt;
      append_utf8(to_utf8[byte], cpt);
      from_codepoint[cpt] = static_cast<std::int16_t>(byte);
    }
  }
};

const ByteMap& byte_map() {
  static const ByteMap map;
  return map;
}

}  // namespace

std::uint32_t byte_to_codepoint(std::uint8_t byte) { return byte_map().to_codepoint[byte]; }

std::optional<std::uint8_t> codepoint_to_byte(std::uint32_t cpt) {
  const auto& map = byte_map();
  if (cpt >= map.from_codepoint.size() || map.from_codepoint[cpt] < 0) return std::nullopt;
  return static_cast<std::uint8_t>(map.from_codepoint[cpt]);
}

std::string byte_level_encode(std::string_view bytes) {
  const auto& map = byte_map();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) out += map.to_utf8[static_cast<std::uint8_t>(c)];
  return out;
}

std::string byte_level_decode(std::string_view token_text) {
  std::string out;
  for (const std::uint32_t cpt : decode_utf8_lenient(token_text)) {
    if (const auto byte = codepoint_to_byte(cpt)) {
      out += static_cast<char>(*byte);
      continue;
    }
    std::string utf8;
    append_utf8(utf8, cpt);
    out += "[UNK_BYTE_0x";
    for (const char c : utf8) {
      char hex[3];
      std::snprintf(hex, sizeof hex, "%02x", static_cast<unsigned char>(c));
      out += hex;
    }
    out.append(token_text);
    out += ']';
  }
  return out;
}

}  // namespace gguf_model

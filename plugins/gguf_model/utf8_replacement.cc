#include "utf8_replacement.h"

#include <cstdint>

namespace gguf_model {
namespace {

// How many bytes starting at i belong to one sequence (complete: `valid`) or
// to the longest prefix of one (a maximal subpart, at least 1 byte).
struct SequenceScan {
  std::size_t length;
  bool valid;
};

SequenceScan scan(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(s[k]); };
  const std::uint8_t lead = byte(i);
  if (lead < 0x80) return {1, true};
  std::size_t need = 0;
  std::uint8_t low = 0x80, high = 0xBF;  // the second byte's allowed range
  if (lead >= 0xC2 && lead <= 0xDF) {
    need = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    need = 2;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    need = 3;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return {1, false};
  }
  std::size_t k = 1;
  for (; k <= need && i + k < s.size(); ++k) {
    const std::uint8_t b = byte(i + k);
    const bool ok = k == 1 ? (b >= low && b <= high) : (b >= 0x80 && b <= 0xBF);
    if (!ok) break;
  }
  return {k, k == need + 1};
}

}  // namespace

std::string replace_ill_formed_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size();) {
    const SequenceScan s = scan(bytes, i);
    if (s.valid) out.append(bytes.substr(i, s.length));
    else out += "\xEF\xBF\xBD";
    i += s.length;
  }
  return out;
}

}  // namespace gguf_model

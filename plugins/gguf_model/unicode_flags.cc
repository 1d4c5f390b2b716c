#include "unicode_flags.h"

#include <algorithm>
#include <array>
#include <iterator>

namespace gguf_model {
namespace {

struct CategoryRange {
  std::uint32_t first;
  CodepointCategory category;
};

constexpr auto Undefined = CodepointCategory::kUndefined;
constexpr auto Number = CodepointCategory::kNumber;
constexpr auto Letter = CodepointCategory::kLetter;
constexpr auto Separator = CodepointCategory::kSeparator;
constexpr auto Mark = CodepointCategory::kMark;
constexpr auto Punctuation = CodepointCategory::kPunctuation;
constexpr auto Symbol = CodepointCategory::kSymbol;
constexpr auto Control = CodepointCategory::kControl;

constexpr CategoryRange kRanges[] = {
#include "unicode_flags_table.inc"
};

constexpr std::uint32_t kCodepointLimit = 0x110000;

// PropList.txt's White_Space, the set llama.cpp hard-codes too.
bool is_white_space(std::uint32_t cpt) {
  if ((cpt >= 0x09 && cpt <= 0x0D) || (cpt >= 0x2000 && cpt <= 0x200A)) return true;
  switch (cpt) {
    case 0x20: case 0x85: case 0xA0: case 0x1680: case 0x2028:
    case 0x2029: case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return false;
  }
}

CodepointCategory category_by_search(std::uint32_t cpt) {
  const auto after = std::upper_bound(std::begin(kRanges), std::end(kRanges), cpt,
                                      [](std::uint32_t c, const CategoryRange& r) { return c < r.first; });
  return std::prev(after)->category;
}

// Looking up the Basic Multilingual Plane in a flat table keeps the common
// case to one load; the rest is a binary search over the ranges.
struct BmpTable {
  std::array<CodepointFlags, 0x10000> flags;
  BmpTable() {
    for (std::uint32_t cpt = 0; cpt < flags.size(); ++cpt)
      flags[cpt] = CodepointFlags{category_by_search(cpt), is_white_space(cpt)};
  }
};

}  // namespace

CodepointFlags codepoint_flags(std::uint32_t cpt) {
  static const BmpTable bmp;
  if (cpt < bmp.flags.size()) return bmp.flags[cpt];
  if (cpt >= kCodepointLimit) return CodepointFlags{CodepointCategory::kUndefined, false};
  return CodepointFlags{category_by_search(cpt), false};
}

std::vector<std::uint32_t> decode_utf8_lenient(std::string_view text) {
  std::vector<std::uint32_t> out;
  out.reserve(text.size());
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const auto continuation = [&](std::size_t i) { return i < text.size() && (byte(i) & 0xC0) == 0x80; };
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char lead = byte(i);
    if (lead < 0x80) {
      out.push_back(lead), i += 1;
    } else if ((lead & 0xE0) == 0xC0 && continuation(i + 1)) {
      out.push_back(((lead & 0x1Fu) << 6) | (byte(i + 1) & 0x3Fu)), i += 2;
    } else if ((lead & 0xF0) == 0xE0 && continuation(i + 1) && continuation(i + 2)) {
      out.push_back(((lead & 0x0Fu) << 12) | ((byte(i + 1) & 0x3Fu) << 6) | (byte(i + 2) & 0x3Fu)), i += 3;
    } else if ((lead & 0xF8) == 0xF0 && continuation(i + 1) && continuation(i + 2) && continuation(i + 3)) {
      out.push_back(((lead & 0x07u) << 18) | ((byte(i + 1) & 0x3Fu) << 12) | ((byte(i + 2) & 0x3Fu) << 6) |
                    (byte(i + 3) & 0x3Fu)),
          i += 4;
    } else {
      out.push_back(0xFFFD), i += 1;
    }
  }
  return out;
}

void append_utf8(std::string& out, std::uint32_t cpt) {
  if (cpt <= 0x7F) {
    out += static_cast<char>(cpt);
  } else if (cpt <= 0x7FF) {
    out += static_cast<char>(0xC0 | (cpt >> 6));
    out += static_cast<char>(0x80 | (cpt & 0x3F));
  } else if (cpt <= 0xFFFF) {
    out += static_cast<char>(0xE0 | (cpt >> 12));
    out += static_cast<char>(0x80 | ((cpt >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cpt & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | ((cpt >> 18) & 0x07));
    out += static_cast<char>(0x80 | ((cpt >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cpt >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cpt & 0x3F));
  }
}

}  // namespace gguf_model

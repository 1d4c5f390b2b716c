#include "mo_file.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include "text.h"

namespace debian_pile {

namespace {

constexpr std::uint32_t kMagic = 0x950412de;
constexpr std::uint32_t kMagicSwapped = 0xde120495;

std::uint32_t read_u32(std::string_view bytes, std::size_t offset, bool swapped) {
  std::uint32_t value = 0;
  for (int k = 0; k < 4; ++k) {
    const std::uint32_t byte = static_cast<unsigned char>(bytes[offset + static_cast<std::size_t>(k)]);
    value |= swapped ? byte << (8 * (3 - k)) : byte << (8 * k);
  }
  return value;
}

std::string charset_of(std::string_view header) {
  const std::size_t at = header.find("charset=");
  if (at == std::string_view::npos) return "UTF-8";
  std::size_t end = at + 8;
  while (end < header.size() && !std::isspace(static_cast<unsigned char>(header[end])) && header[end] != ';') ++end;
  std::string charset(header.substr(at + 8, end - at - 8));
  for (auto& c : charset) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  // "CHARSET" is the unfilled template value; such catalogues are ASCII.
  return charset.empty() || charset == "CHARSET" ? "UTF-8" : charset;
}

}  // namespace

std::optional<MoCatalogue> parse_mo(std::string_view bytes) {
  if (bytes.size() < 20) return std::nullopt;
  const std::uint32_t magic = read_u32(bytes, 0, false);
  if (magic != kMagic && magic != kMagicSwapped) return std::nullopt;
  const bool swapped = magic == kMagicSwapped;
  const std::uint32_t count = read_u32(bytes, 8, swapped);
  const std::uint64_t originals = read_u32(bytes, 12, swapped);
  const std::uint64_t translations = read_u32(bytes, 16, swapped);
  if (originals + 8ULL * count > bytes.size() || translations + 8ULL * count > bytes.size()) return std::nullopt;

  const auto string_at = [&](std::uint64_t table, std::uint32_t i) -> std::optional<std::string_view> {
    const std::uint64_t length = read_u32(bytes, table + 8ULL * i, swapped);
    const std::uint64_t offset = read_u32(bytes, table + 8ULL * i + 4, swapped);
    if (offset + length > bytes.size()) return std::nullopt;
    return bytes.substr(offset, length);
  };

  MoCatalogue catalogue;
  catalogue.charset = "UTF-8";
  for (std::uint32_t i = 0; i < count; ++i) {
    const auto original = string_at(originals, i);
    const auto translation = string_at(translations, i);
    if (!original || !translation) return std::nullopt;
    if (original->empty()) {  // the header entry, not a UI string
      catalogue.charset = charset_of(*translation);
      continue;
    }
    // Plural forms are stored NUL-separated in one msgstr.
    std::string_view rest = *translation;
    while (!rest.empty()) {
      const std::size_t nul = std::min(rest.find('\0'), rest.size());
      if (nul > 0) catalogue.translations.emplace_back(rest.substr(0, nul));
      rest.remove_prefix(std::min(rest.size(), nul + 1));
    }
  }
  return catalogue;
}

std::optional<std::string> catalogue_text(const MoCatalogue& catalogue) {
  if (catalogue.charset == "ISO-8859-8") return std::nullopt;
  std::string joined;
  for (const auto& translation : catalogue.translations) {
    joined += translation;
    joined += '\n';
  }
  if (catalogue.charset == "UTF-8" || catalogue.charset == "UTF8") return joined;
  if (auto converted = to_utf8(joined, catalogue.charset)) return converted;
  return repair_utf8(joined);
}

}  // namespace debian_pile

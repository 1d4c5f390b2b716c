#pragma once

// GNU gettext .mo catalogues: the translated strings, decoded to UTF-8.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace debian_pile {

struct MoCatalogue {
  std::string charset;                    // from the header entry's Content-Type
  std::vector<std::string> translations;  // every msgstr and plural form, in the file's charset
};

// nullopt when the bytes are not a .mo file (bad magic, offsets out of range).
std::optional<MoCatalogue> parse_mo(std::string_view bytes);

// The translations as one UTF-8 text, one string per line. nullopt for
// ISO-8859-8, which Debian's Hebrew catalogues use in visual (reversed)
// order: converting them would give backwards Hebrew.
std::optional<std::string> catalogue_text(const MoCatalogue& catalogue);

}  // namespace debian_pile

#pragma once

#include <string>
#include <string_view>

namespace text_kinds {

// What kind of text a snippet is, from its characters alone: a writing system
// ("Arabic script"), a format ("base64-like text", "DNA sequence", "code"), or
// "" when nothing stands out.
std::string text_class(std::string_view text);

// The writing system most of the letters belong to ("Latin", "Cyrillic",
// "Arabic", "Hebrew", "Han", "Greek", "Devanagari"...), or "" for no letters.
std::string dominant_script(std::string_view text);

}  // namespace text_kinds

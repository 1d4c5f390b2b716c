#pragma once

// Byte-level text helpers shared by the sources: UTF-8 checks and repair,
// charset conversion, hashing for dedup.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace debian_pile {

bool is_valid_utf8(std::string_view text);
// Each byte that does not start a well-formed sequence becomes U+FFFD, so
// the output is valid UTF-8 whatever the input.
std::string repair_utf8(std::string_view text);
// Converts from a charset iconv knows ("ISO-8859-1", "EUC-JP"...); nullopt
// when the charset is unknown or the bytes are not in it.
std::optional<std::string> to_utf8(std::string_view bytes, const std::string& charset);
// Decodes a file that should be UTF-8 but may be in a legacy charset: kept
// as is when valid, else converted from `fallback_charset` (never fails for
// single-byte charsets), else repaired.
std::string decode_text(std::string_view bytes, const std::string& fallback_charset = "WINDOWS-1252");

std::uint64_t fnv1a(std::string_view bytes);
// Hash of the text with ASCII case folded and whitespace runs collapsed, so
// copies that differ only in layout (re-wrapped, CRLF, trailing spaces) match.
std::uint64_t normalised_hash(std::string_view text);

// Removes ANSI colour escapes (ESC [ ... m), which fortunes-zh is full of.
std::string strip_ansi(std::string_view text);
// Removes terminal overstrike (X\bX bold, _\bX underline) from mandoc output.
std::string strip_overstrike(std::string_view text);

std::vector<std::string_view> split_lines(std::string_view text);
// Splits text into records separated by lines equal to `separator`
// (fortune's "%", flat-file "//"); empty records are dropped.
std::vector<std::string> split_records(std::string_view text, std::string_view separator);
std::string_view trim(std::string_view text);
bool all_space(std::string_view text);

// Standard base64 with line breaks every 76 characters, as in MIME.
std::string base64_lines(std::string_view bytes, std::size_t line_length = 76);

// Natural order ("python3.9" < "python3.11"), for picking the newest version dir.
bool natural_less(std::string_view a, std::string_view b);

}  // namespace debian_pile

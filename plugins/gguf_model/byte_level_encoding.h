#pragma once

// GPT-2's byte-level encoding: byte-level BPE vocabularies spell every byte
// as a printable code point (space is "Ġ", newline "Ċ"), so a token's text
// never holds raw whitespace or control bytes.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gguf_model {

// The code point GPT-2 uses for `byte`.
std::uint32_t byte_to_codepoint(std::uint8_t byte);

// The byte a code point stands for, or nullopt if it is not one of the 256.
std::optional<std::uint8_t> codepoint_to_byte(std::uint32_t cpt);

// `bytes` spelled in the encoding (each byte becomes one code point, in UTF-8).
std::string byte_level_encode(std::string_view bytes);

// A token's text turned back into the bytes it stands for. A code point
// outside the mapping is written as "[UNK_BYTE_0x<its UTF-8 in hex>" followed
// by the whole token text and "]", which is what llama.cpp writes.
std::string byte_level_decode(std::string_view token_text);

}  // namespace gguf_model

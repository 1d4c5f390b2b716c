#pragma once

// The pre-tokenizer regexes llama.cpp implements by hand (unicode.cpp), over
// code points. Each takes the lengths of the pieces earlier regexes left and
// returns the lengths after splitting every piece again; a regex never
// matches across a piece boundary.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gguf_model {

using PieceLengths = std::vector<std::size_t>;

// "\p{N}": each number code point alone, the runs between them whole.
PieceLengths split_isolating_numbers(const std::vector<std::uint32_t>& cpts, const PieceLengths& pieces);

// GPT-2's 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
PieceLengths split_gpt2(const std::vector<std::uint32_t>& cpts, const PieceLengths& pieces);

// Llama 3's (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+ and its relatives: Qwen2
// takes numbers one digit at a time (\p{N}), Qwen3.5 also counts marks
// (\p{M}) as letters.
struct Llama3Regex {
  std::size_t max_digits = 3;
  bool marks_are_letters = false;
};
PieceLengths split_llama3(const std::vector<std::uint32_t>& cpts, const PieceLengths& pieces, Llama3Regex regex);

// Calls split(begin, end, out) for each piece, collecting the new lengths.
template <typename Split>
PieceLengths split_each_piece(const PieceLengths& pieces, Split&& split) {
  PieceLengths out;
  out.reserve(pieces.size() * 2);
  std::size_t begin = 0;
  for (const std::size_t length : pieces) {
    split(begin, begin + length, out);
    begin += length;
  }
  return out;
}

}  // namespace gguf_model

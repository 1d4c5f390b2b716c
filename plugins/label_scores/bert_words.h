#pragma once

// The text a BERT WordPiece vocabulary sees: Hugging Face tokenizers'
// BertNormalizer (clean_text, handle_chinese_chars, strip_accents,
// lowercase: what all-MiniLM-L6-v2's tokenizer.json asks for) and its
// BertPreTokenizer (split on whitespace, punctuation as words of its own).
// Unicode properties come from ICU; Hugging Face's come from Rust's tables,
// so code points assigned in one Unicode version and not the other may be
// dropped by one side only.

#include <string>
#include <string_view>
#include <vector>

namespace label_scores {

// The normalised text: control characters, NUL and U+FFFD removed,
// whitespace made ' ', spaces around CJK ideographs, accents stripped (NFD,
// then no non-spacing mark), each code point lowercased. Invalid UTF-8 bytes
// count as U+FFFD.
std::u32string bert_normalized(std::string_view text);

// The normalised text's words, in UTF-8: runs between whitespace, each
// punctuation character a word of its own.
std::vector<std::string> bert_words(std::string_view text);

}  // namespace label_scores

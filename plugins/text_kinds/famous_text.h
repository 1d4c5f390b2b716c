#pragma once

#include <array>
#include <string>
#include <vector>

namespace text_kinds {

// The kinds of text the paper's famous features fire on.
enum class FamousText { kOther, kArabic, kHebrew, kDna, kBase64 };
inline constexpr std::array kFamousTexts = {FamousText::kArabic, FamousText::kHebrew, FamousText::kDna,
                                            FamousText::kBase64};
const char* name_of(FamousText kind);  // "arabic", "hebrew", "dna", "base64", "other"

// The kind of text each token of a window belongs to, given each token's
// bytes in order (a character may be split over several byte tokens). A token
// is Arabic or Hebrew when its letters are in that script; DNA or base64 when
// it lies in a stretch of such text long enough to be unmistakable (DNA: 24
// or more of A, C, G, T, N amid only spaces and digits, as FASTA and GenBank
// write it; base64: 32 or more characters of its alphabet in mixed case with
// a digit, + or /). Whitespace-only tokens and tokens straddling two kinds
// are kOther. Tokens carry no document source, so the text itself decides.
std::vector<FamousText> classify_tokens(const std::vector<std::string>& token_bytes);

}  // namespace text_kinds

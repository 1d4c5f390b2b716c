#include "bert_words.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/locid.h>

#include "dictlab/errors.h"

namespace label_scores {
namespace {

// Rust's char::is_whitespace, plus the three BERT treats as whitespace.
bool is_whitespace(char32_t c) {
  return c == '\t' || c == '\n' || c == '\r' || u_isUWhiteSpace(static_cast<UChar32>(c));
}

// unicode_categories' is_other (Cc, Cf, Cn, Co, Cs), minus tab and newlines.
bool is_control(char32_t c) {
  if (c == '\t' || c == '\n' || c == '\r') return false;
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_UNASSIGNED:
    case U_PRIVATE_USE_CHAR:
    case U_SURROGATE:
      return true;
    default:
      return false;
  }
}

// The CJK Unified Ideographs blocks, as Hugging Face's bert.rs lists them
// (hiragana, katakana and hangul are not among them).
bool is_chinese(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

// ASCII punctuation (which includes symbols such as $ + < = > ^ ` | ~) or
// any Unicode punctuation category.
bool is_punctuation(char32_t c) {
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  return u_ispunct(static_cast<UChar32>(c));
}

std::u32string code_points(const icu::UnicodeString& text) {
  std::u32string out;
  for (int32_t i = 0; i < text.length();) {
    const UChar32 c = text.char32At(i);
    out.push_back(static_cast<char32_t>(c));
    i += U16_LENGTH(c);
  }
  return out;
}

// One code point's full lowercase mapping (İ is "i" and a combining dot),
// without context, as Rust's char::to_lowercase.
void append_lowercase(char32_t c, std::u32string& out) {
  if (c < 0x80) {
    out.push_back(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    return;
  }
  icu::UnicodeString one(static_cast<UChar32>(c));
  one.toLower(icu::Locale::getRoot());
  out += code_points(one);
}

void append_utf8(char32_t c, std::string& out) {
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

}  // namespace

std::u32string bert_normalized(std::string_view text) {
  // clean_text and handle_chinese_chars, on the code points ICU reads (an
  // invalid byte becomes U+FFFD, which clean_text drops).
  icu::UnicodeString cleaned;
  const auto input = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  for (char32_t c : code_points(input)) {
    if (c == 0 || c == 0xFFFD || is_control(c)) continue;
    if (is_whitespace(c)) c = ' ';
    if (is_chinese(c)) cleaned.append(static_cast<UChar32>(' '));
    cleaned.append(static_cast<UChar32>(c));
    if (is_chinese(c)) cleaned.append(static_cast<UChar32>(' '));
  }
  // strip_accents (NFD, then no non-spacing mark), then lowercase.
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  icu::UnicodeString decomposed;
  if (U_SUCCESS(status)) decomposed = nfd->normalize(cleaned, status);
  if (U_FAILURE(status)) throw dictlab::PluginError(std::string("ICU cannot decompose text: ") + u_errorName(status));
  std::u32string out;
  for (char32_t c : code_points(decomposed))
    if (u_charType(static_cast<UChar32>(c)) != U_NON_SPACING_MARK) append_lowercase(c, out);
  return out;
}

std::vector<std::string> bert_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  auto flush = [&] {
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  };
  for (char32_t c : bert_normalized(text)) {
    if (is_whitespace(c)) {
      flush();
    } else if (is_punctuation(c)) {
      flush();
      append_utf8(c, word);
      flush();
    } else {
      append_utf8(c, word);
    }
  }
  flush();
  return words;
}

}  // namespace label_scores

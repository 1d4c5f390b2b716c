#include "text_class.h"

#include <cctype>
#include <map>
#include <regex>

namespace baseline_labeler {
namespace {

// Decodes one UTF-8 code point at `i` (advancing it); invalid bytes become U+FFFD.
char32_t next_code_point(std::string_view text, std::size_t& i) {
  const auto byte = static_cast<unsigned char>(text[i++]);
  if (byte < 0x80) return byte;
  const int extra = byte >= 0xF0 ? 3 : byte >= 0xE0 ? 2 : byte >= 0xC0 ? 1 : -1;
  if (extra < 0 || i + static_cast<std::size_t>(extra) > text.size()) return 0xFFFD;
  char32_t code = byte & (0x3F >> extra);
  for (int k = 0; k < extra; ++k) code = (code << 6) | (static_cast<unsigned char>(text[i++]) & 0x3F);
  return code;
}

const char* script_of(char32_t c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= 0xC0 && c <= 0x24F)) return "Latin";
  if (c >= 0x370 && c <= 0x3FF) return "Greek";
  if (c >= 0x400 && c <= 0x52F) return "Cyrillic";
  if (c >= 0x590 && c <= 0x5FF) return "Hebrew";
  if ((c >= 0x600 && c <= 0x6FF) || (c >= 0x750 && c <= 0x77F) || (c >= 0xFB50 && c <= 0xFEFF)) return "Arabic";
  if (c >= 0x900 && c <= 0x97F) return "Devanagari";
  if (c >= 0x3040 && c <= 0x30FF) return "Japanese kana";
  if (c >= 0xAC00 && c <= 0xD7AF) return "Hangul";
  if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF)) return "Han";
  return nullptr;
}

}  // namespace

std::string dominant_script(std::string_view text) {
  std::map<std::string, int> counts;
  int letters = 0;
  for (std::size_t i = 0; i < text.size();)
    if (const char* script = script_of(next_code_point(text, i))) ++counts[script], ++letters;
  std::string best;
  int most = 0;
  for (const auto& [script, n] : counts)
    if (n > most) best = script, most = n;
  return letters > 0 && most * 2 > letters ? best : "";
}

std::string text_class(std::string_view text) {
  static const std::regex dna("[ACGTN]{12,}");
  static const std::regex base64("[A-Za-z0-9+/]{16,}={0,2}");
  static const std::regex code("[{};]|==|=>|\\(\\)|::|->|#include|def |return ");
  static const std::regex latex("\\\\[a-zA-Z]+\\{?");
  static const std::regex digits("[0-9]");
  const std::string s(text);
  if (std::regex_search(s, dna)) return "DNA sequence";
  const std::string script = dominant_script(text);
  if (script != "Latin" && !script.empty()) return script + " script";
  if (std::regex_search(s, base64) && s.find(' ') == std::string::npos) return "base64-like text";
  if (std::regex_search(s, latex)) return "LaTeX";
  if (std::regex_search(s, code)) return "code";
  std::size_t digit_count = 0;
  for (char c : s) digit_count += std::isdigit(static_cast<unsigned char>(c)) ? 1 : 0;
  if (digit_count * 3 > s.size() && std::regex_search(s, digits)) return "numbers";
  return "";
}

}  // namespace baseline_labeler

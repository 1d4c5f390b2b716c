#include "text_class.h"

#include <cctype>
#include <map>
#include <regex>

#include "unicode.h"

namespace text_kinds {

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

}  // namespace text_kinds

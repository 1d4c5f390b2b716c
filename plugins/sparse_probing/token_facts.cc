#include "token_facts.h"

#include <map>

#include "text_class.h"

namespace sparse_probing {

LineKind line_kind(const std::string& line) {
  const std::string kind = text_kinds::text_class(line);
  if (kind == "code") return LineKind::kCode;
  if (kind == "LaTeX") return LineKind::kLatex;
  if (kind.empty() && text_kinds::dominant_script(line) == "Latin") return LineKind::kProse;
  return LineKind::kOther;
}

std::vector<TokenFacts> window_facts(const std::vector<std::string>& shown, const std::vector<std::string>& raw) {
  std::string text;
  std::vector<std::size_t> starts;
  for (const auto& piece : shown) starts.push_back(text.size()), text += piece;
  const auto famous = text_kinds::classify_tokens(raw);
  std::map<std::size_t, LineKind> lines;  // by the line's first byte; each line classified once
  std::vector<TokenFacts> facts(shown.size());
  for (std::size_t t = 0; t < shown.size(); ++t) {
    TokenFacts& fact = facts[t];
    if (shown[t].empty()) continue;
    fact.eligible = true;
    fact.script = text_kinds::dominant_script(shown[t]);
    fact.famous = t < famous.size() ? famous[t] : text_kinds::FamousText::kOther;
    // A token's line is that of its first byte after any newlines it starts
    // with; a token of newlines alone belongs to the line it ends.
    const std::size_t at = starts[t], stop = at + shown[t].size();
    std::size_t first = at;
    while (first < stop && text[first] == '\n') ++first;
    if (first == stop) first = at;
    const std::size_t newline = first == 0 ? std::string::npos : text.rfind('\n', first - 1);
    const std::size_t line_begin = newline == std::string::npos ? 0 : newline + 1;
    std::size_t end = text.find('\n', first);
    if (end == std::string::npos) end = text.size();
    auto [it, fresh] = lines.try_emplace(line_begin, LineKind::kOther);
    if (fresh) it->second = line_kind(text.substr(line_begin, end - line_begin));
    fact.line = it->second;
  }
  return facts;
}

}  // namespace sparse_probing

#include "probe_classes.h"

#include <algorithm>
#include <stdexcept>

namespace sparse_probing {
namespace {

using text_kinds::FamousText;

ProbeClass script_class(const std::string& name, const std::string& script) {
  return {name, "tokens in " + script + " script", "other tokens",
          [script](const TokenFacts& f) { return f.eligible && f.script == script; },
          [script](const TokenFacts& f) { return f.eligible && f.script != script; }};
}

ProbeClass famous_class(FamousText kind, const std::string& description) {
  return {text_kinds::name_of(kind), description, "other tokens",
          [kind](const TokenFacts& f) { return f.eligible && f.famous == kind; },
          [kind](const TokenFacts& f) { return f.eligible && f.famous != kind; }};
}

ProbeClass line_class(const std::string& name, LineKind positive, const std::string& description) {
  return {name, description, "tokens on other lines",
          [positive](const TokenFacts& f) { return f.eligible && f.line == positive; },
          [positive](const TokenFacts& f) { return f.eligible && f.line != positive; }};
}

std::vector<ProbeClass> text_classes() {
  std::vector<ProbeClass> classes = {
      script_class("arabic", "Arabic"), script_class("hebrew", "Hebrew"), script_class("cyrillic", "Cyrillic"),
      script_class("han", "Han"),
      {"code_vs_prose", "tokens on lines of code", "tokens on lines of prose",
       [](const TokenFacts& f) { return f.eligible && f.line == LineKind::kCode; },
       [](const TokenFacts& f) { return f.eligible && f.line == LineKind::kProse; }},
      famous_class(FamousText::kDna, "tokens in a stretch of DNA"),
      famous_class(FamousText::kBase64, "tokens in a stretch of base64"),
      line_class("latex", LineKind::kLatex, "tokens on lines of LaTeX")};
  return classes;
}

ProbeClass family_class(const std::string& family, std::int32_t index) {
  return {"family:" + family, "tokens of documents from the " + family + " sources",
          "tokens of documents from other sources",
          [index](const TokenFacts& f) { return f.eligible && f.family == index; },
          [index](const TokenFacts& f) { return f.eligible && f.family >= 0 && f.family != index; }};
}

}  // namespace

std::vector<std::string> known_class_names() {
  std::vector<std::string> names;
  for (const auto& c : text_classes()) names.push_back(c.name);
  names.emplace_back(kFamilyClasses);
  return names;
}

std::vector<ProbeClass> select_classes(const std::vector<std::string>& names, const std::vector<std::string>& families) {
  const auto all = text_classes();
  std::vector<ProbeClass> chosen;
  for (const auto& name : names) {
    if (name == kFamilyClasses) {
      for (std::size_t i = 0; i < families.size(); ++i)
        chosen.push_back(family_class(families[i], static_cast<std::int32_t>(i)));
      continue;
    }
    const auto found = std::find_if(all.begin(), all.end(), [&](const ProbeClass& c) { return c.name == name; });
    // The host has refused any name not in known_class_names(), which the
    // descriptor declares as the choices of 'classes'.
    if (found == all.end()) throw std::logic_error("select_classes: unknown class '" + name + "'");
    chosen.push_back(*found);
  }
  return chosen;
}

std::string family_of(const std::string& source) { return source.substr(0, source.find('/')); }

}  // namespace sparse_probing

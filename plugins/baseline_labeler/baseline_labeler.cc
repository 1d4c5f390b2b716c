// Labeler: a deterministic label from statistics alone (the token a feature
// fires on, the text around it: script, format), fast and reproducible: the
// floor an LLM's labels must beat.
#include <algorithm>
#include <map>

#include "dictlab/sdk.h"
#include "text_class.h"

namespace {

dictlab::PluginDescriptor describe() {
  return {.name = "baseline",
          .version = "1.0.0",
          .summary = "Labels features from statistics: their top tokens and the script or format of their context.",
          .options = dictlab::labeler_selection_options()};
}

std::string trimmed(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\n"));
  s.erase(s.find_last_not_of(" \t\n") + 1);
  return s;
}

std::string in_quotes(const std::string& token) { return "\"" + token + "\""; }

// The majority vote of a label over the examples, if it wins half of them.
std::string majority(const std::vector<std::string>& votes) {
  std::map<std::string, int> counts;
  for (const auto& v : votes) ++counts[v];
  for (const auto& [value, n] : counts)
    if (!value.empty() && n * 2 >= static_cast<int>(votes.size())) return value;
  return "";
}

dictlab::Label label_one(const dictlab::FeatureEvidence& feature) {
  dictlab::Label label{.feature = feature.feature, .author = "baseline"};
  if (feature.top_examples.empty()) {
    label.text = "never fires";
    return label;
  }
  std::map<std::string, int> tokens;
  std::vector<std::string> focus_classes, context_classes;
  for (const auto& example : feature.top_examples) {
    const std::string token = example.tokens[static_cast<std::size_t>(example.focus)];
    // "" is a later byte of a character that an earlier token shows.
    ++tokens[token.empty() ? "(a byte inside a character)" : trimmed(token).empty() ? token : trimmed(token)];
    std::string context;
    for (const auto& t : example.tokens) context += t;
    focus_classes.push_back(text_kinds::text_class(token));
    context_classes.push_back(text_kinds::text_class(context));
  }
  std::vector<std::pair<int, std::string>> ranked;
  for (const auto& [token, n] : tokens) ranked.emplace_back(-n, token);
  std::sort(ranked.begin(), ranked.end());
  const int examples = static_cast<int>(feature.top_examples.size());
  std::string what;
  if (-ranked[0].first * 2 >= examples) {
    what = "the token " + in_quotes(ranked[0].second);
  } else {
    what = "tokens like ";
    for (std::size_t i = 0; i < std::min<std::size_t>(3, ranked.size()); ++i)
      what += std::string(i ? ", " : "") + in_quotes(ranked[i].second);
  }
  const std::string kind = majority(focus_classes).empty() ? majority(context_classes) : majority(focus_classes);
  label.text = kind.empty() ? what : what + " in " + kind;
  return label;
}

class BaselineLabeler : public dictlab::Labeler {
 public:
  void label(dictlab::RunContext& context, const std::vector<dictlab::FeatureEvidence>& features,
             const dictlab::LabelSink& emit) override {
    for (const auto& feature : features) {
      if (context.stop_requested()) return;
      emit(label_one(feature));
    }
  }
};

}  // namespace

DICTLAB_PLUGIN(BaselineLabeler, describe)

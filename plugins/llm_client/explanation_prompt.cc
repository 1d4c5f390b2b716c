#include "explanation_prompt.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "utf8_text.h"

namespace llm_client {

int scaled_activation(float activation, double max_activation) {
  if (max_activation <= 0 || activation <= 0) return 0;
  return std::clamp(static_cast<int>(std::lround(10.0 * activation / max_activation)), 0, 10);
}

namespace {

const char* const kSystem =
    "We're studying neurons in a neural network. Each neuron looks for some particular thing in a short "
    "document. Look at the parts of the document the neuron activates for and summarize in a single sentence "
    "what the neuron is looking for. Don't list examples of words.\n\nThe activation format is "
    "token<tab>activation. Activation values range from 0 to 10. A neuron finding what it's looking for is "
    "represented by a non-zero activation value. The higher the activation value, the stronger the match.";

std::string example_block(const dictlab::ActivationExample& example, double max_activation) {
  std::string block = "<start>\n";
  for (std::size_t t = 0; t < example.tokens.size(); ++t)
    block += example.tokens[t] + "\t" + std::to_string(scaled_activation(example.activations[t], max_activation)) + "\n";
  return block + "<end>\n\n";
}

// A token inside double quotes on one line: newlines, tabs and quotes escaped.
std::string quoted_token(const std::string& token) {
  std::string out = "\"";
  for (char c : token) {
    if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c == '"' || c == '\\') out += std::string("\\") + c;
    else out += c;
  }
  return out + "\"";
}

// `count` examples from the intervals below the top one, spread evenly over
// those that have examples, weakest first.
std::vector<const dictlab::ActivationExample*> weaker_examples(const dictlab::FeatureEvidence& feature, int count) {
  std::vector<const dictlab::ActivationInterval*> filled;
  for (const auto& interval : feature.intervals)
    if (!interval.examples.empty()) filled.push_back(&interval);
  if (!filled.empty()) filled.pop_back();  // the top interval: the top examples show it
  std::vector<const dictlab::ActivationExample*> chosen;
  const auto n = static_cast<int>(filled.size());
  for (int j = 0; j < std::min(count, n); ++j)
    chosen.push_back(&filled[static_cast<std::size_t>((2 * j + 1) * n / (2 * std::min(count, n)))]->examples.front());
  return chosen;
}

}  // namespace

std::vector<ChatMessage> explanation_prompt(const dictlab::FeatureEvidence& feature, const ExplanationEvidence& shown) {
  std::string user = "Neuron 1\nActivations:\n";
  const int n = std::min<int>(shown.top_examples, static_cast<int>(feature.top_examples.size()));
  for (int i = 0; i < n; ++i) user += example_block(feature.top_examples[static_cast<std::size_t>(i)], feature.max_activation);
  const auto weaker = weaker_examples(feature, shown.weaker_examples);
  if (!weaker.empty()) {
    user += "Weaker activations of the same neuron:\n";
    for (const auto* example : weaker) user += example_block(*example, feature.max_activation);
  }
  const int next = std::min<int>(shown.next_tokens, static_cast<int>(feature.positive_logits.size()));
  if (next > 0) {
    user += "Tokens this neuron makes more likely to come next:";
    for (int i = 0; i < next; ++i) user += (i ? ", " : " ") + quoted_token(feature.positive_logits[static_cast<std::size_t>(i)].first);
    user += "\n\n";
  }
  user += "Explanation of neuron 1 behavior: the main thing this neuron does is find";
  return {{"system", kSystem}, {"user", user}};
}

std::string explanation_from_answer(const std::string& answer) {
  std::string text = answer.substr(0, answer.find('\n'));
  // Small models often repeat the prompt's lead-in before the explanation.
  std::string lower = text;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string lead = "the main thing this neuron does is find";
  if (const auto at = lower.find(lead); at != std::string::npos) text = text.substr(at + lead.size());
  const auto first = text.find_first_not_of(" \t\"'`*:");
  if (first == std::string::npos) return "";
  text = text.substr(first);
  while (!text.empty() && std::string(" \t\"'`*.").find(text.back()) != std::string::npos) text.pop_back();
  return utf8_prefix(text, 200);  // a long CJK line must not end mid-character
}

}  // namespace llm_client

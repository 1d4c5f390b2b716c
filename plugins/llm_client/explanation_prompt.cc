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

std::vector<ChatMessage> explanation_prompt(const dictlab::FeatureEvidence& feature, int examples) {
  const std::string system =
      "We're studying neurons in a neural network. Each neuron looks for some particular thing in a short "
      "document. Look at the parts of the document the neuron activates for and summarize in a single sentence "
      "what the neuron is looking for. Don't list examples of words.\n\nThe activation format is "
      "token<tab>activation. Activation values range from 0 to 10. A neuron finding what it's looking for is "
      "represented by a non-zero activation value. The higher the activation value, the stronger the match.";
  std::string user = "Neuron 1\nActivations:\n";
  const int n = std::min<int>(examples, static_cast<int>(feature.top_examples.size()));
  for (int i = 0; i < n; ++i) {
    const auto& example = feature.top_examples[static_cast<std::size_t>(i)];
    user += "<start>\n";
    for (std::size_t t = 0; t < example.tokens.size(); ++t)
      user += example.tokens[t] + "\t" + std::to_string(scaled_activation(example.activations[t], feature.max_activation)) + "\n";
    user += "<end>\n\n";
  }
  user += "Explanation of neuron 1 behavior: the main thing this neuron does is find";
  return {{"system", system}, {"user", user}};
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

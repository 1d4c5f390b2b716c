#include "prompts.h"

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

const char* const kDetectionSystem =
    "You are an intelligent and meticulous linguistics researcher. You will be given a certain feature of text, "
    "such as \"male pronouns\" or \"text with negative sentiment\". You will then be given several numbered text "
    "examples. Your task is to determine which examples possess the feature. Answer with the numbers of those "
    "examples as a list, like [1, 3], or [] if none of them do. Do not return anything else.";

const char* const kSimulationSystem =
    "We're studying neurons in a neural network. Each neuron looks for some particular thing in a short document. "
    "Look at an explanation of what the neuron does, and try to predict its activations on each token.\n\n"
    "The activation format is token<tab>activation, activations go from 0 to 10. Most activations will be 0. "
    "Answer with one line per token, in the order given, and nothing else.";

std::string detection_user(const std::string& explanation, const std::vector<std::string>& contexts) {
  std::string user = "Feature: " + shown(explanation) + "\n\nText examples:\n\n";
  for (std::size_t i = 0; i < contexts.size(); ++i)
    user += "Example " + std::to_string(i + 1) + ": " + shown(contexts[i]) + "\n";
  return user;
}

std::string simulation_user(const std::string& explanation, const std::vector<std::string>& tokens) {
  std::string user = "Neuron 1\nExplanation of neuron 1 behavior: " + shown(explanation) + "\n\nPredict the " +
                     std::to_string(tokens.size()) +
                     " activations below: one line per token, token<tab>activation, activation an integer from "
                     "0 to 10.\n<start>\n";
  for (const auto& token : tokens) user += shown(token) + "\n";
  return user + "<end>";
}

const char* const kIntruderSystem =
    "You will see several short text examples. All of them but one share a common pattern: a kind of word, "
    "a topic, a symbol, a position in a sentence, a language or a format. One example is an intruder that does "
    "not share it. Find the intruder. Answer with its number only.";

std::string trial_text(const std::vector<std::string>& contexts) {
  std::string user = "Examples:\n\n";
  for (std::size_t i = 0; i < contexts.size(); ++i)
    user += "Example " + std::to_string(i + 1) + ": " + shown(contexts[i]) + "\n";
  return user + "\nWhich example is the intruder?";
}

// The integers 0..n-1 + first as a JSON schema enum.
nlohmann::json integers_from(int first, int count) {
  nlohmann::json values = nlohmann::json::array();
  for (int i = 0; i < count; ++i) values.push_back(first + i);
  return values;
}


const char* const kExplanationSystem =
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
  const int near = std::min<int>(shown.near_misses, static_cast<int>(feature.near_misses.size()));
  if (near > 0) {
    user += "The same token where this neuron stays silent (activation 0 on it):\n";
    for (int i = 0; i < near; ++i) user += example_block(feature.near_misses[static_cast<std::size_t>(i)], feature.max_activation);
  }
  const int next = std::min<int>(shown.next_tokens, static_cast<int>(feature.positive_logits.size()));
  if (next > 0) {
    user += "Tokens this neuron makes more likely to come next:";
    for (int i = 0; i < next; ++i) user += (i ? ", " : " ") + quoted_token(feature.positive_logits[static_cast<std::size_t>(i)].first);
    user += "\n\n";
  }
  user += "Explanation of neuron 1 behavior: the main thing this neuron does is find";
  return {{"system", kExplanationSystem}, {"user", user}};
}

namespace {

// Quotes around the whole answer go, quotes inside it stay: "dates" becomes
// dates, but the word "X". keeps both of X's.
std::string without_outer_quotes(std::string text) {
  for (const char quote : {'"', '\'', '`'}) {
    if (text.empty()) break;
    const auto count = std::count(text.begin(), text.end(), quote);
    if (count == 2 && text.size() > 1 && text.front() == quote && text.back() == quote)
      text = text.substr(1, text.size() - 2);
    else if (count % 2 == 1 && text.front() == quote)  // an opening quote that never closes
      text.erase(0, 1);
    else if (count % 2 == 1 && text.back() == quote)  // a closing quote that never opened
      text.pop_back();
  }
  return text;
}

}  // namespace

std::string explanation_from_answer(const std::string& answer) {
  std::string text = answer.substr(0, answer.find('\n'));
  // Small models often repeat the prompt's lead-in before the explanation.
  std::string lower = text;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string lead = "the main thing this neuron does is find";
  if (const auto at = lower.find(lead); at != std::string::npos) text = text.substr(at + lead.size());
  const auto trim = [](std::string& t) {
    const auto first = t.find_first_not_of(" \t*:");
    t = first == std::string::npos ? "" : t.substr(first);
    while (!t.empty() && std::string(" \t*.").find(t.back()) != std::string::npos) t.pop_back();
  };
  trim(text);
  text = without_outer_quotes(text);
  trim(text);
  return utf8_prefix(text, 200);  // a long CJK line must not end mid-character
}


std::string shown(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n') out += "\u21B5";       // ↵
    else if (c == '\t') out += "\u21E5";  // ⇥
    else if (c == '\r') continue;
    else out += c;
  }
  return out;
}

std::vector<ChatMessage> detection_prompt(const std::string& explanation,
                                                      const std::vector<std::string>& contexts) {
  return {{"system", kDetectionSystem},
          {"user", detection_user("the word \"cat\"", {"The dog barked at the mailman.", "My cat sleeps all day.",
                                                       "Stocks fell on Monday.", "Two cats and a kitten."})},
          {"assistant", "[2, 4]"},
          {"user", detection_user(explanation, contexts)}};
}

std::vector<ChatMessage> simulation_prompt(const std::string& explanation,
                                                       const std::vector<std::string>& tokens) {
  return {{"system", kSimulationSystem},
          {"user", simulation_user("the word \"cat\"", {"The", " cat", " sat", " on", " a", " cat", "."})},
          {"assistant", "The\t0\n cat\t10\n sat\t0\n on\t0\n a\t0\n cat\t9\n.\t0"},
          {"user", simulation_user(explanation, tokens)}};
}

AnswerFormat detection_format(int contexts) {
  return {"detection",
          {{"type", "object"},
           {"properties",
            {{"matches", {{"type", "array"}, {"items", {{"enum", integers_from(1, contexts)}}}, {"maxItems", contexts}}}}},
           {"required", {"matches"}},
           {"additionalProperties", false}}};
}

AnswerFormat simulation_format(std::size_t tokens) {
  const auto n = static_cast<int>(tokens);
  return {"simulation",
          {{"type", "object"},
           {"properties",
            {{"activations",
              {{"type", "array"}, {"items", {{"enum", integers_from(0, 11)}}}, {"minItems", n}, {"maxItems", n}}}}},
           {"required", {"activations"}},
           {"additionalProperties", false}}};
}

// No worked example: with one, a small model names the example's answer
// (SmolLM2 answered "3", the example's, in 166 of 250 trials).
std::vector<ChatMessage> intruder_prompt(const std::vector<std::string>& contexts) {
  return {{"system", kIntruderSystem}, {"user", trial_text(contexts)}};
}

AnswerFormat intruder_format(int contexts) {
  nlohmann::json choices = nlohmann::json::array();
  for (int i = 1; i <= contexts; ++i) choices.push_back(i);
  return {"intruder",
          {{"type", "object"},
           {"properties", {{"intruder", {{"enum", choices}}}}},
           {"required", {"intruder"}},
           {"additionalProperties", false}}};
}

}  // namespace llm_client

#pragma once

// What the analysis stage learns about each feature: the evidence labelers
// read and the feature browser shows. JSON forms are host/site/DATA.md's.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace dictlab {

// A short window of text around one activation of a feature.
struct ActivationExample {
  float activation = 0.0f;         // at the focus token
  std::int64_t focus = 0;          // index of the token the example was chosen for
  std::vector<std::string> tokens;  // display strings
  std::vector<float> activations;  // one per token
};

// Examples whose activation lies in [low, high): the paper's evenly spaced intervals.
struct ActivationInterval {
  double low = 0.0, high = 0.0;
  std::vector<ActivationExample> examples;
};

using TokenWeight = std::pair<std::string, float>;

struct FeatureEvidence {
  std::int64_t feature = 0;
  double density = 0.0;          // share of analysed tokens where it is active
  double max_activation = 0.0;
  double mean_activation = 0.0;  // over the tokens where it is active
  std::vector<std::int64_t> histogram;  // counts over (0, max_activation], evenly spaced bins
  std::vector<ActivationExample> top_examples;
  std::vector<ActivationInterval> intervals;
  // Silent occurrences of the token its strongest example was chosen for
  // (activation 0 at the focus): what the feature is not, next to what it is.
  std::vector<ActivationExample> near_misses;
  std::vector<TokenWeight> positive_logits;  // strongest direct effects on the next token
  std::vector<TokenWeight> negative_logits;
};

inline void to_json(nlohmann::json& j, const ActivationExample& e) {
  j = {{"activation", e.activation}, {"focus", e.focus}, {"tokens", e.tokens}, {"activations", e.activations}};
}
inline void from_json(const nlohmann::json& j, ActivationExample& e) {
  j.at("activation").get_to(e.activation);
  j.at("focus").get_to(e.focus);
  j.at("tokens").get_to(e.tokens);
  j.at("activations").get_to(e.activations);
}
inline void to_json(nlohmann::json& j, const ActivationInterval& i) {
  j = {{"low", i.low}, {"high", i.high}, {"examples", i.examples}};
}
inline void from_json(const nlohmann::json& j, ActivationInterval& i) {
  j.at("low").get_to(i.low);
  j.at("high").get_to(i.high);
  j.at("examples").get_to(i.examples);
}
inline void to_json(nlohmann::json& j, const FeatureEvidence& f) {
  j = {{"id", f.feature},
       {"density", f.density},
       {"max_activation", f.max_activation},
       {"mean_activation", f.mean_activation},
       {"histogram", {{"max", f.max_activation}, {"counts", f.histogram}}},
       {"top_examples", f.top_examples},
       {"intervals", f.intervals},
       {"near_misses", f.near_misses},
       {"logits", {{"positive", f.positive_logits}, {"negative", f.negative_logits}}}};
}
inline void from_json(const nlohmann::json& j, FeatureEvidence& f) {
  j.at("id").get_to(f.feature);
  j.at("density").get_to(f.density);
  j.at("max_activation").get_to(f.max_activation);
  j.at("mean_activation").get_to(f.mean_activation);
  j.at("histogram").at("counts").get_to(f.histogram);
  j.at("top_examples").get_to(f.top_examples);
  j.at("intervals").get_to(f.intervals);
  if (j.contains("near_misses")) j.at("near_misses").get_to(f.near_misses);  // absent in stores before 1.3.0
  j.at("logits").at("positive").get_to(f.positive_logits);
  j.at("logits").at("negative").get_to(f.negative_logits);
}

}  // namespace dictlab

#include "synthetic_config.h"

#include <string>

#include "dictlab/errors.h"

namespace synthetic {

namespace {

// One table of (key, member) pairs keeps the JSON writer and reader in step.
template <typename Visit>
void for_each_field(SyntheticConfig& c, Visit&& visit) {
  visit("num_features", c.num_features);
  visit("hidden_dim", c.hidden_dim);
  visit("zipf_exponent", c.zipf_exponent);
  visit("max_prob", c.max_prob);
  visit("min_prob", c.min_prob);
  visit("magnitude_mean_start", c.magnitude_mean_start);
  visit("magnitude_mean_end", c.magnitude_mean_end);
  visit("magnitude_std_mean", c.magnitude_std_mean);
  visit("magnitude_std_std", c.magnitude_std_std);
  visit("root_nodes", c.root_nodes);
  visit("branching", c.branching);
  visit("max_depth", c.max_depth);
  visit("mutually_exclusive_portion", c.mutually_exclusive_portion);
  visit("mutually_exclusive_min_depth", c.mutually_exclusive_min_depth);
  visit("compensate_probabilities", c.compensate_probabilities);
  visit("scale_children_by_parent", c.scale_children_by_parent);
  visit("correlation_rank", c.correlation_rank);
  visit("correlation_scale", c.correlation_scale);
  visit("orthogonalize_steps", c.orthogonalize_steps);
  visit("orthogonalize_lr", c.orthogonalize_lr);
  visit("bias_norm", c.bias_norm);
}

}  // namespace

nlohmann::json to_json(const SyntheticConfig& config) {
  nlohmann::json json = nlohmann::json::object();
  SyntheticConfig copy = config;
  for_each_field(copy, [&](const char* key, auto& value) { json[key] = value; });
  return json;
}

SyntheticConfig config_from_json(const nlohmann::json& json, const std::string& where) {
  if (!json.is_object()) throw dictlab::PluginError(where + ": the synthetic config is not a JSON object");
  SyntheticConfig config;
  for_each_field(config, [&](const char* key, auto& value) {
    using T = std::decay_t<decltype(value)>;
    const auto it = json.find(key);
    const bool fits = it != json.end() && (std::is_same_v<T, bool> ? it->is_boolean()
                                           : std::is_integral_v<T> ? it->is_number_integer()
                                                                   : it->is_number());
    if (!fits) throw dictlab::PluginError(where + ": \"" + key + "\" is missing or not a " +
                                          (std::is_same_v<T, bool> ? "bool" : std::is_integral_v<T> ? "integer" : "number"));
    value = it->get<T>();
  });
  return config;
}

void validate(const SyntheticConfig& c) {
  using dictlab::OptionError;
  if (!(c.min_prob < c.max_prob)) throw OptionError("min_prob", "must be less than max_prob");
  if (c.root_nodes > 0 && (c.branching < 1 || c.max_depth < 0))
    throw OptionError("branching", "must be positive (and max_depth not negative) when root_nodes > 0");
}

}  // namespace synthetic

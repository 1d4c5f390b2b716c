#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "dictlab/dictionary.h"
#include "dictlab/token_display.h"
#include "dictlab/model.h"
#include "plugin_registry.h"

namespace dictlab::host {

// What a served model is: the stages and plugins it came from, the hook its
// dictionary reads, and the sizes the API's limits depend on.
struct ServedModelInfo {
  std::string analysis_stage;
  std::string model_stage, model_plugin;
  std::string dictionary_stage, dictionary_plugin;
  std::string hook;
  std::int64_t vocab_size = 0, context_length = 0, d_sae = 0;
};

// The features active at one token: display string and [(feature, activation)], highest first.
struct TokenFeatures {
  std::string token;
  std::vector<std::pair<std::int64_t, float>> features;
};

struct Pin {
  std::int64_t feature = 0;
  float value = 0;
};

// The model and dictionary a feature_analysis stage read (its manifest's
// inputs), opened through their plugins for `dictlab serve`, which runs them
// for pages whose export has no in-page model. Not thread-safe: one call at
// a time (model_api.cc's gate sees to it).
class ServedModel {
 public:
  // Models already loaded, by stage: several dictionaries of one model (serve
  // --all) share it rather than each holding a copy of its weights.
  using ModelCache = std::map<std::string, std::shared_ptr<Model>>;

  // Opens and loads both; an error says which stage or plugin failed and why.
  static absl::StatusOr<std::unique_ptr<ServedModel>> open(const std::filesystem::path& run_dir,
                                                           const std::string& analysis_stage,
                                                           const PluginRegistry& registry);
  static absl::StatusOr<std::unique_ptr<ServedModel>> open(const std::filesystem::path& run_dir,
                                                           const std::string& analysis_stage,
                                                           const PluginRegistry& registry, ModelCache& models);

  const ServedModelInfo& info() const { return info_; }

  // Per token of `text` (its last context_length tokens; `truncated` says if
  // it was cut): the features active there, at most `top_n`, highest first.
  std::vector<TokenFeatures> features(const std::string& text, std::int64_t top_n, bool& truncated);

  // The continuation of the prompt's last context_length tokens, each pin
  // holding its feature at its value at the dictionary's hook at every step;
  // `check` runs before each step's edit and may throw to stop early.
  std::string generate(const std::string& prompt, const SamplingOptions& sampling, const std::vector<Pin>& pins,
                       const std::function<void()>& check, bool& prompt_truncated);

  // The display strings (host/site/DATA.md) of the tokens `text` encodes to.
  std::vector<std::string> display(const std::string& text) const;

 private:
  ServedModel(std::shared_ptr<Model> model, std::shared_ptr<DictionaryLearner> dictionary, ServedModelInfo info);

  std::shared_ptr<Model> model_;
  std::shared_ptr<DictionaryLearner> dictionary_;
  ServedModelInfo info_;
  std::vector<float> directions_;  // [d_sae, written_width()]: the pins' directions, where the dictionary writes
  TokenDisplay display_;
};

}  // namespace dictlab::host

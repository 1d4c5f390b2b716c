#pragma once

// The contexts a label is scored on. Activating ones come from the feature
// store (top and interval examples, with the activations the analysis
// measured in context); the others are random windows of held-out text, with
// the feature's true activations computed by running the model and the
// dictionary over whole contexts, then cutting the window out.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "dictlab/dictionary.h"
#include "dictlab/feature_evidence.h"
#include "dictlab/model.h"
#include "dictlab/token_shards.h"
#include "dictlab/token_display.h"

namespace label_scores {

// A short window of text with one feature's activation on each token.
struct Window {
  std::vector<std::string> tokens;  // display strings (host/site/DATA.md)
  std::vector<float> activations;
};

// Random held-out contexts and the activations of some features on them,
// kept sparse (only where a feature fires).
class HeldoutPool {
 public:
  struct Shape {
    std::int64_t contexts = 64;  // held-out contexts drawn
    std::int64_t window = 16;    // tokens per window
    std::uint64_t seed = 0;
  };
  // Runs `model` and `dictionary` over `shape.contexts` contexts at seeded
  // random offsets of `heldout`, keeping the activations of `features`.
  // Returns early (an empty pool) when `stop` says so.
  HeldoutPool(dictlab::Model& model, dictlab::DictionaryLearner& dictionary, const dictlab::TokenShard& heldout,
              const std::vector<std::int64_t>& features, Shape shape, const std::function<bool()>& stop);
  // For tests: contexts of `length` ids, and the activations of features on them.
  struct Firing {
    std::int32_t context, position;
    float value;
  };
  HeldoutPool(std::vector<std::int32_t> ids, std::int64_t length, std::int64_t window,
              std::unordered_map<std::int64_t, std::vector<Firing>> firings,
              std::shared_ptr<const dictlab::TokenDisplay> display);

  std::int64_t contexts() const { return contexts_; }
  // Where a window may start in a context: 0 .. starts() - 1.
  std::int64_t starts() const { return length_ - window_ + 1; }
  std::int64_t window_length() const { return window_; }
  // The window of `window_length()` tokens at (context, start) with `feature`'s activations.
  Window window(std::int64_t feature, std::int64_t context, std::int64_t start) const;
  // True when `feature` is 0 on every token of the window.
  bool silent(std::int64_t feature, std::int64_t context, std::int64_t start) const;

 private:
  std::vector<std::int32_t> ids_;
  std::int64_t contexts_ = 0, length_ = 0, window_ = 0;
  std::unordered_map<std::int64_t, std::vector<Firing>> firings_;  // sorted by (context, position)
  std::shared_ptr<const dictlab::TokenDisplay> display_;
};

struct ContextOptions {
  std::int64_t detection = 6;         // contexts shown for detection, half of them activating
  std::int64_t simulation = 4;        // contexts simulated: top examples and random windows
  std::int64_t skip_top_examples = 5;  // top examples an explainer was shown, not used while enough remain
  std::int64_t embedding = 20;        // contexts compared with the label's embedding, half of them activating
};

struct SimulationContext {
  std::vector<std::string> tokens;  // display strings; tokens that display as "" are left out
  std::vector<double> activations;  // the feature's true activation on each
  bool top_example = false;
};

// Texts of which some are activating examples and the others windows where
// the feature is silent, shuffled.
struct LabelledContexts {
  std::vector<std::string> texts;
  std::vector<bool> activating;  // one per text
  std::string error;             // why a scorer cannot use them, else ""
};

// One feature's contexts: the same for every label of the feature, so that
// labels are compared on the same text.
struct FeatureContexts {
  LabelledContexts detection, embedding;
  std::vector<SimulationContext> simulation;
  std::string simulation_error;  // why simulation cannot run, else ""
};

FeatureContexts feature_contexts(const dictlab::FeatureEvidence& evidence, const HeldoutPool& pool,
                                 const ContextOptions& options, std::uint64_t seed);

// The text of a window of display strings.
std::string joined(const std::vector<std::string>& tokens);

}  // namespace label_scores

#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dictlab/descriptor.h"
#include "dictlab/feature_evidence.h"
#include "dictlab/options.h"
#include "dictlab/plugin.h"
#include "dictlab/run_context.h"

namespace dictlab {

struct Label {
  std::int64_t feature = 0;
  std::string text;                    // the explanation; empty when `error` says why there is none
  std::optional<double> rubric_score;  // the paper's 0-4 confidence rubric, where one was given
  std::string author;                  // who made it: a person's name, a model's name, "baseline"
  std::string error;                   // set when no label could be made (after retries)
};

// Called once per feature as soon as its label is made, from any thread (the
// host serializes the calls and persists each label at once, so a killed
// stage resumes with only the features not labelled yet).
using LabelSink = std::function<void(const Label&)>;

// Names features in words. Human, LLM and statistical labelers are all of
// this kind. A labeler stage's input is a feature_analysis stage; the host
// picks the features (the options below), hands over their evidence and
// writes labels.jsonl. A labeler may leave out features it has nothing to
// say about. Return early when context.stop_requested().
class Labeler : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::kLabeler;
  virtual void label(RunContext& context, const std::vector<FeatureEvidence>& features, const LabelSink& emit) = 0;
};

// Options every labeler declares (append them to the descriptor's): which
// features its stage labels. The host reads them.
inline std::vector<OptionSpec> labeler_selection_options() {
  return {OptionSpec{"features", OptionType::kInt,
                     "Label a random sample (from the seed) of this many features that fired; 0 labels all that fired.",
                     std::int64_t{0}}
              .at_least(0),
          OptionSpec{"feature_ids", OptionType::kIntList, "Label exactly these features instead.",
                     std::vector<std::int64_t>{}}
              .at_least(0)};
}

}  // namespace dictlab

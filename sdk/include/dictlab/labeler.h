#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dictlab/descriptor.h"
#include "dictlab/feature_evidence.h"
#include "dictlab/plugin.h"
#include "dictlab/run_context.h"

namespace dictlab {

struct Label {
  std::string text;
  std::optional<double> rubric_score;  // the paper's 0-14 rubric, where one was given
  std::string author;                  // "human:ada", "llm:smollm2-135m", "baseline"
};

// Names a feature in words. Human and LLM labelers are both of this kind.
class Labeler : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::kLabeler;
  virtual Label label(RunContext& context, const FeatureEvidence& evidence) = 0;
};

}  // namespace dictlab

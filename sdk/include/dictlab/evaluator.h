#pragma once

#include <string>
#include <vector>

#include "dictlab/descriptor.h"
#include "dictlab/metrics.h"
#include "dictlab/plugin.h"
#include "dictlab/run_context.h"

namespace dictlab {

// One result, e.g. {"loss_recovered_ratio", 0.79, {}}. The host writes every
// figure to the stage's report.json and exports it as the gauge
// dictlab_<name> with the given labels.
struct Figure {
  std::string name;
  double value = 0.0;
  MetricLabels labels;
  std::string help;
};

struct Report {
  std::vector<Figure> figures;
};

// Reads artifacts of its input stages and measures them.
class Evaluator : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::kEvaluator;
  virtual Report evaluate(RunContext& context) = 0;
};

}  // namespace dictlab

#pragma once

#include "dictlab/descriptor.h"
#include "dictlab/plugin.h"
#include "dictlab/run_context.h"

namespace dictlab {

// A language model whose MLP activations the dictionary learners decompose.
// The stage trains (or loads) the model and leaves its weights in stage_dir.
class Model : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::kModel;
  virtual void train(RunContext& context) = 0;
};

}  // namespace dictlab

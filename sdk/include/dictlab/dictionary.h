#pragma once

#include "dictlab/descriptor.h"
#include "dictlab/plugin.h"
#include "dictlab/run_context.h"

namespace dictlab {

// A dictionary learner (sparse autoencoder). The stage trains a dictionary on
// the activations of its input model and leaves it in stage_dir.
class DictionaryLearner : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::kDictionary;
  virtual void train(RunContext& context) = 0;
};

}  // namespace dictlab

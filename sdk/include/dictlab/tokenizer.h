#pragma once

#include "dictlab/descriptor.h"
#include "dictlab/plugin.h"
#include "dictlab/run_context.h"

namespace dictlab {

// Turns a dataset stage's documents into token shards (see token_shards.h)
// and leaves the tokenizer itself in stage_dir, so that models trained with
// other seeds read exactly the same tokens.
class Tokenizer : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::kTokenizer;
  virtual void train(RunContext& context) = 0;
};

}  // namespace dictlab

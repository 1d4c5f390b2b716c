#pragma once

#include <functional>
#include <string>

#include "dictlab/descriptor.h"
#include "dictlab/plugin.h"
#include "dictlab/run_context.h"

namespace dictlab {

struct Document {
  std::string text;    // UTF-8
  std::string source;  // like the Pile's meta.pile_set_name: "code", "Arabic", ...
};

// Returns false to stop reading early.
using DocumentSink = std::function<bool(Document&&)>;

// A source of documents. The host writes what read() emits into the stage's
// documents.jsonl (the Pile's own format), with per-source counts in the
// manifest, so later stages never need the dataset plugin itself.
class Dataset : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::kDataset;
  // Emit documents in a deterministic order.
  virtual void read(RunContext& context, const DocumentSink& emit) = 0;
};

}  // namespace dictlab

#pragma once

#include <string>
#include <vector>

#include "dictlab/options.h"

namespace dictlab {

enum class PluginKind { kDataset, kTokenizer, kModel, kDictionary, kLabeler, kEvaluator };

inline const char* to_string(PluginKind kind) {
  switch (kind) {
    case PluginKind::kDataset: return "dataset";
    case PluginKind::kTokenizer: return "tokenizer";
    case PluginKind::kModel: return "model";
    case PluginKind::kDictionary: return "dictionary";
    case PluginKind::kLabeler: return "labeler";
    case PluginKind::kEvaluator: return "evaluator";
  }
  return "?";
}

// What `dictlab plugins` prints and what the host validates a stage table
// against. The kind is filled in by DICTLAB_PLUGIN from the plugin's class.
struct PluginDescriptor {
  std::string name;
  std::string version;
  std::string summary;
  std::vector<OptionSpec> options;
  PluginKind kind = PluginKind::kDataset;
  // Runs on every rank of a distributed run and splits its work through
  // RunContext::collectives(); otherwise rank 0 runs it alone while the
  // other ranks wait.
  bool data_parallel = false;
};

}  // namespace dictlab

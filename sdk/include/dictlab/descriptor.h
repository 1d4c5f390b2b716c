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
  // Plugins that declare the same family can train in one pass: stages that
  // name the same `one_pass` group in the experiment file are run by one
  // call of the first one's plugin, which trains every member on the same
  // batches (RunContext::pass_members()). Empty: each stage runs alone.
  std::string pass_family;
  // Options whose values every stage of one pass must share (what its
  // batches depend on: batch size, hook...); the host refuses a group that
  // differs in one, pointing at the key. Absent from a plugin's options
  // counts as a value too, so a pass never mixes stages with and without it.
  std::vector<std::string> pass_shared_options;
};

}  // namespace dictlab

#include "stage_driver.h"

#include <map>
#include <nlohmann/json.hpp>

#include "dictlab/atomic_file.h"
#include "dictlab/dataset.h"
#include "dictlab/dictionary.h"
#include "dictlab/documents_jsonl.h"
#include "dictlab/evaluator.h"
#include "dictlab/model.h"
#include "dictlab/tokenizer.h"
#include "labeler_driver.h"

namespace dictlab::host {
namespace {

// Datasets become documents.jsonl, so every later stage reads one format.
std::string drive_dataset(Dataset& dataset, RunContext& context) {
  struct SourceCount {
    std::int64_t documents = 0;
    std::int64_t bytes = 0;
  };
  std::map<std::string, SourceCount> sources;
  std::int64_t documents = 0;
  AtomicFile out(context.stage_dir() / "documents.jsonl");
  dataset.read(context, [&](Document&& document) {
    if (context.stop_requested()) return false;
    write_document_jsonl(out.stream(), document);
    auto& count = sources[document.source];
    ++count.documents;
    count.bytes += static_cast<std::int64_t>(document.text.size());
    ++documents;
    return true;
  });
  if (context.stop_requested()) throw StageStopped{};
  out.commit();

  nlohmann::json summary = {{"documents", documents}, {"sources", nlohmann::json::object()}};
  std::int64_t bytes = 0;
  for (const auto& [source, count] : sources) {
    summary["sources"][source] = {{"documents", count.documents}, {"bytes", count.bytes}};
    context.metrics().gauge("dataset_documents", "Documents per source.", {{"source", source}})
        .set(static_cast<double>(count.documents));
    context.metrics().gauge("dataset_text_bytes", "UTF-8 bytes of text per source.", {{"source", source}})
        .set(static_cast<double>(count.bytes));
    bytes += count.bytes;
  }
  summary["bytes"] = bytes;
  return summary.dump();
}

std::string drive_evaluator(Evaluator& evaluator, RunContext& context) {
  const Report report = evaluator.evaluate(context);
  if (context.stop_requested()) throw StageStopped{};
  nlohmann::json figures = nlohmann::json::array();
  for (const auto& figure : report.figures) {
    figures.push_back({{"name", figure.name}, {"value", figure.value}, {"labels", figure.labels}});
    context.metrics().gauge(figure.name, figure.help.empty() ? "Evaluator figure." : figure.help, figure.labels)
        .set(figure.value);
  }
  AtomicFile::write_all(context.stage_dir() / "report.json",
                        nlohmann::json({{"figures", figures}}).dump(2) + "\n");
  return nlohmann::json({{"figures", figures}}).dump();
}

template <typename Trainable>
std::string drive_training(Trainable& plugin, RunContext& context) {
  plugin.train(context);
  if (context.stop_requested()) throw StageStopped{};
  return "{}";
}

}  // namespace

std::string drive_stage(Plugin& plugin, const PluginDescriptor& descriptor, RunContext& context) {
  // The registry checked the kind against the descriptor that DICTLAB_PLUGIN
  // derived from the plugin's class, so these casts are exact.
  switch (descriptor.kind) {
    case PluginKind::kDataset: return drive_dataset(static_cast<Dataset&>(plugin), context);
    case PluginKind::kEvaluator: return drive_evaluator(static_cast<Evaluator&>(plugin), context);
    case PluginKind::kTokenizer: return drive_training(static_cast<Tokenizer&>(plugin), context);
    case PluginKind::kModel: return drive_training(static_cast<Model&>(plugin), context);
    case PluginKind::kDictionary: return drive_training(static_cast<DictionaryLearner&>(plugin), context);
    case PluginKind::kLabeler: return drive_labeler(static_cast<Labeler&>(plugin), descriptor.name, context);
  }
  throw PluginError("unknown plugin kind");
}

}  // namespace dictlab::host

#include "labeler_driver.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>

#include "dictlab/atomic_file.h"
#include "dictlab/feature_store.h"
#include "stage_driver.h"

namespace dictlab::host {
namespace fs = std::filesystem;

namespace {

const StageInput& analysis_input(RunContext& context) {
  for (const auto& input : context.inputs())
    if (fs::exists(input.dir / FeatureStore::kFileName)) return input;
  throw PluginError("a labeler stage needs a feature_analysis stage among its inputs (none of them has " +
                    std::string(FeatureStore::kFileName) + ")");
}

std::vector<std::int64_t> chosen_features(FeatureStore& store, const Options& options, std::uint64_t seed) {
  const std::int64_t n = store.size();
  if (const auto& ids = options.get_ints("feature_ids"); !ids.empty()) {
    for (std::int64_t id : ids)
      if (id >= n)
        throw OptionError("feature_ids", std::to_string(id) + " is not a feature id (0.." + std::to_string(n - 1) + ")");
    return ids;
  }
  const std::int64_t count = options.get_int("features");
  std::vector<std::int64_t> alive;
  store.for_each_summary([&](const FeatureSummary& f) {
    if (f.density > 0) alive.push_back(f.id);
  });
  if (count == 0 || count >= static_cast<std::int64_t>(alive.size())) return alive;
  std::shuffle(alive.begin(), alive.end(), std::mt19937_64(seed));
  alive.resize(static_cast<std::size_t>(count));
  std::sort(alive.begin(), alive.end());
  return alive;
}

// One line of JSON. Labels carry model text and endpoint error bodies, which
// may not be valid UTF-8: plain dump() would throw in the labeler's worker
// thread that emits the label and end the process, so bad bytes become U+FFFD.
std::string json_line(const nlohmann::json& json) {
  return json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// Labels already made by an earlier, interrupted run of this stage.
std::map<std::int64_t, nlohmann::json> read_journal(const fs::path& file) {
  std::map<std::int64_t, nlohmann::json> labels;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_object() && json.contains("feature")) labels[json["feature"].get<std::int64_t>()] = json;
    // A torn last line (a kill mid-write) is dropped; that feature is labelled again.
  }
  return labels;
}

}  // namespace

std::string drive_labeler(Labeler& labeler, const std::string& labeler_name, RunContext& context) {
  const StageInput& input = analysis_input(context);
  auto store = FeatureStore::open(input.dir / FeatureStore::kFileName);
  const auto features = chosen_features(store, context.options(), context.seed());

  const fs::path journal_file = context.checkpoint_dir() / "labels.journal.jsonl";
  auto labels = read_journal(journal_file);
  std::vector<FeatureEvidence> todo;
  for (std::int64_t id : features)
    if (!labels.contains(id)) todo.push_back(store.evidence(id));
  if (!labels.empty())
    context.log().info("resuming: " + std::to_string(labels.size()) + " features already labelled, " +
                       std::to_string(todo.size()) + " to go");

  context.progress().set_total(static_cast<double>(features.size()));
  context.progress().set_done(static_cast<double>(features.size() - todo.size()));
  auto& made = context.metrics().counter("labeler_labels_total", "Labels made, by outcome.", {{"outcome", "ok"}});
  auto& failed = context.metrics().counter("labeler_labels_total", "Labels made, by outcome.", {{"outcome", "failed"}});
  std::mutex mutex;
  std::ofstream journal(journal_file, std::ios::app);
  const auto start = std::chrono::steady_clock::now();
  std::int64_t this_session = 0;
  labeler.label(context, todo, [&](const Label& label) {
    nlohmann::json line = {{"feature", label.feature},
                           {"labeler", labeler_name},
                           {"author", label.author},
                           {"text", label.text},
                           {"rubric", label.rubric_score ? nlohmann::json(*label.rubric_score) : nlohmann::json()}};
    if (!label.error.empty()) line["error"] = label.error;
    std::lock_guard lock(mutex);
    journal << json_line(line) << std::flush;
    labels[label.feature] = line;
    ++this_session;
    (label.error.empty() ? made : failed).increment();
    context.progress().set_done(static_cast<double>(labels.size()));
  });
  journal.close();
  if (context.stop_requested()) throw StageStopped{};

  std::string out;
  std::int64_t ok = 0, errors = 0;
  for (std::int64_t id : features) {
    const auto it = labels.find(id);
    if (it == labels.end()) continue;  // a labeler may have nothing to say (e.g. nobody labelled it by hand)
    (it->second.contains("error") ? errors : ok)++;
    out += json_line(it->second);
  }
  AtomicFile::write_all(context.stage_dir() / "labels.jsonl", out);
  const double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60.0;
  const double rate = minutes > 0 ? static_cast<double>(this_session) / minutes : 0.0;
  context.metrics().gauge("labeler_labels_per_minute", "Labels made per minute in the last run of the stage.")
      .set(rate);
  const nlohmann::json summary = {{"analysis_stage", input.stage}, {"labels", ok}, {"failed", errors},
                                  {"labels_per_minute", rate}};
  AtomicFile::write_all(context.stage_dir() / "labels_summary.json", summary.dump(2) + "\n");
  return summary.dump();
}

}  // namespace dictlab::host

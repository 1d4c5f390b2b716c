#include "stage_support.h"

#include <atomic>
#include <fstream>
#include <mutex>

#include "dictlab/dictionary.h"
#include "dictlab/errors.h"
#include "dictlab/model.h"
#include "dictlab/token_shards.h"
#include "scoring.h"
#include "utf8_text.h"
#include "worker_threads.h"

namespace label_scores {

dictlab::OptionSpec heldout_contexts_option() {
  return dictlab::OptionSpec{"heldout_contexts", dictlab::OptionType::kInt,
                             "Random held-out contexts the model and dictionary are run on, to draw the windows "
                             "where a feature is silent from.",
                             std::int64_t{64}}
      .at_least(1);
}

namespace fs = std::filesystem;

const dictlab::StageInput& analysis_input(const dictlab::RunContext& context, const std::string& plugin) {
  for (const auto& input : context.inputs())
    if (fs::exists(input.dir / dictlab::FeatureStore::kFileName)) return input;
  throw dictlab::PluginError(plugin + " needs a feature_analysis stage among its inputs (none has " +
                             std::string(dictlab::FeatureStore::kFileName) + ")");
}

std::int64_t store_window(dictlab::FeatureStore& store, dictlab::Logger& log) {
  try {
    const auto w = store.meta("window");
    return w.at("before").get<std::int64_t>() + 1 + w.at("after").get<std::int64_t>();
  } catch (const std::exception&) {
    log.warn("the feature store has no window size; using 16 tokens");
    return 16;
  }
}

HeldoutPool input_heldout_pool(dictlab::RunContext& context, const std::vector<std::int64_t>& features,
                               std::int64_t contexts, std::int64_t window) {
  const auto model = dictlab::open_input_model(context);
  const auto dictionary = dictlab::open_input_dictionary(context);
  const auto& tokens_stage = context.input(dictlab::PluginKind::kTokenizer);
  const auto info = dictlab::TokenSetInfo::read(tokens_stage.dir);
  const dictlab::TokenShard heldout(tokens_stage.dir / "tokens.heldout.bin", info.dtype);
  context.log().info("running the model and dictionary over " + std::to_string(contexts) +
                     " held-out contexts for " + std::to_string(features.size()) + " features");
  return HeldoutPool(*model, *dictionary, heldout, features, {contexts, window, context.seed()},
                     [&] { return context.stop_requested(); });
}

std::vector<nlohmann::json> read_journal_records(const fs::path& file, const std::vector<std::string>& required) {
  std::vector<nlohmann::json> records;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    auto record = nlohmann::json::parse(line, nullptr, false);
    if (!record.is_object()) continue;
    bool complete = true;
    for (const auto& key : required) complete = complete && record.contains(key);
    if (complete) records.push_back(std::move(record));
  }
  return records;
}

void run_journaled_jobs(dictlab::RunContext& context, const JournaledJobs& jobs, std::int64_t concurrency,
                        const fs::path& journal_file, std::size_t total, const OutcomeCounter& counter) {
  auto& scored = context.metrics().counter(counter.name, counter.help, {{"outcome", "ok"}});
  auto& failed = context.metrics().counter(counter.name, counter.help, {{"outcome", "failed"}});
  std::mutex mutex;
  std::ofstream journal(journal_file, std::ios::app);
  std::size_t done = total - jobs.count;
  std::atomic<std::size_t> next{0};
  std::atomic<bool> broken{false};  // a worker hit an error it could not record: the others stop
  auto work = [&] {
    for (std::size_t i = next++; i < jobs.count && !context.stop_requested() && !broken; i = next++) {
      auto record = jobs.make(i);
      if (!record) return;  // stopped
      const bool ok = !record->contains("error");
      const std::string line = llm_client::dump_model_text(*record) + "\n";
      std::lock_guard lock(mutex);
      journal << line << std::flush;
      if (!journal) throw dictlab::PluginError("cannot write the journal " + journal_file.string());
      (ok ? scored : failed).increment();
      jobs.keep(i, std::move(*record));
      context.progress().set_done(static_cast<double>(++done));
    }
  };
  llm_client::run_worker_threads(concurrency, work, [&] { broken = true; });
}

std::string excerpt(const std::string& answer) {
  std::string text = llm_client::shown(answer);
  if (text.size() > 120) {
    std::size_t cut = 120;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    text = text.substr(0, cut) + "...";
  }
  return "\"" + text + "\"";
}

double mean(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0.0 : sum / static_cast<double>(values.size());
}

}  // namespace label_scores

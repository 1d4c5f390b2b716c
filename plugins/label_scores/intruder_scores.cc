// Evaluator: intruder scores (EleutherAI delphi, 2025), a measure of how
// interpretable a dictionary's features are that needs no label. For each of
// a seeded sample of alive features, the LLM is shown a few of the feature's
// activating contexts and one held-out window where it is silent, shuffled,
// and asked which one does not belong; the feature's score is the share of
// trials it names the silent one (chance: 1 / the number shown). Each
// feature's record is journaled as it is made (a killed stage resumes with
// the rest), then written to intruder.jsonl, the trials as shown to
// intruder_details.jsonl; the report has the dictionary's aggregates and
// how the score goes with the features' density.
#include <algorithm>
#include <functional>
#include <map>
#include <optional>

#include "chat_client.h"
#include "contexts.h"
#include "dictlab/feature_store.h"
#include "dictlab/sdk.h"
#include "endpoint_options.h"
#include "intruder.h"
#include "scoring.h"
#include "stage_support.h"
#include "utf8_text.h"

namespace {

namespace fs = std::filesystem;
using dictlab::OptionError;
using dictlab::OptionSpec;
using dictlab::OptionType;
using nlohmann::json;

std::vector<OptionSpec> options() {
  // An answer is one number (or {"intruder": n}): a short answer suffices.
  std::vector<OptionSpec> specs = llm_client::endpoint_options(16);
  std::vector<OptionSpec> own = {
      OptionSpec{"features", OptionType::kInt,
                 "Score a seeded sample of this many of the features alive in the feature store (0: all).",
                 std::int64_t{50}}
          .at_least(0),
      OptionSpec{"trials", OptionType::kInt, "Questions asked per feature.", std::int64_t{5}}.at_least(1),
      OptionSpec{"shown", OptionType::kInt,
                 "Activating contexts shown per question, beside the one silent context (chance: 1 / (shown + 1)).",
                 std::int64_t{4}}
          .at_least(2),
      label_scores::heldout_contexts_option(),
  };
  for (auto& spec : own) specs.push_back(std::move(spec));
  return specs;
}

dictlab::PluginDescriptor describe() {
  return {.name = "intruder_scores",
          .version = "1.0.0",
          .summary = "Intruder scores (delphi): how often an LLM finds the context where a feature is silent among "
                     "its activating ones; no label needed. Per feature and per dictionary, against density.",
          .options = options()};
}

// A feature's questions, or why it cannot be asked any.
struct Prepared {
  std::vector<label_scores::IntruderTrial> trials;
  std::string error;
};

// The activating contexts (the store's top and interval examples) and silent
// held-out windows of one feature, made into trials. feature_contexts draws
// half of `detection` from each side; a few spare of each give the trials variety.
Prepared prepare(const dictlab::FeatureEvidence& evidence, const label_scores::HeldoutPool& pool,
                 std::int64_t trials, std::int64_t shown, std::uint64_t seed) {
  const std::int64_t per_side = std::max(2 * shown, trials);
  const label_scores::ContextOptions shape{
      .detection = 2 * per_side, .simulation = 0, .skip_top_examples = 0, .embedding = 0};
  const auto contexts = label_scores::feature_contexts(evidence, pool, shape, seed).detection;
  if (!contexts.error.empty()) return {{}, contexts.error};
  std::vector<std::string> activating, silent;
  for (std::size_t i = 0; i < contexts.texts.size(); ++i)
    (contexts.activating[i] ? activating : silent).push_back(contexts.texts[i]);
  Prepared out;
  const std::uint64_t trial_seed =
      label_scores::mix(seed ^ label_scores::mix(static_cast<std::uint64_t>(evidence.feature) + 0x1D7));
  out.trials = label_scores::intruder_trials(activating, silent, static_cast<int>(trials), static_cast<int>(shown),
                                             trial_seed);
  if (out.trials.empty())
    out.error = "only " + std::to_string(activating.size()) + " distinct activating contexts, fewer than `shown` = " +
                std::to_string(shown);
  return out;
}

// One trial's question and answer; false when the stage was stopped.
bool ask(llm_client::ChatClient& client, const label_scores::IntruderTrial& trial, const std::function<bool()>& stop,
         json& record, json& details) {
  const int n = static_cast<int>(trial.contexts.size());
  const auto result = client.complete(
      llm_client::intruder_prompt(trial.contexts),
      [n](const std::string& answer) -> std::string {
        if (label_scores::parse_intruder_answer(answer, n)) return "";
        return "the answer names no example from 1 to " + std::to_string(n) + ": " + label_scores::excerpt(answer);
      },
      stop, llm_client::intruder_format(n));
  if (result.error == "stopped") return false;
  json shown = json::array();
  for (const auto& context : trial.contexts) shown.push_back(llm_client::shown(context));
  json detail = {{"contexts", std::move(shown)}, {"intruder", trial.intruder}};
  if (!result.content) {
    const std::string error = result.error + " (after " + std::to_string(result.attempts) + " attempts)";
    detail["error"] = error;
    record["error"] = "trial " + std::to_string(details.size() + 1) + ": " + error;
  } else {
    const int chosen = *label_scores::parse_intruder_answer(*result.content, n);
    detail["answer"] = *result.content;
    detail["chosen"] = chosen;
    record["trials"] = record["trials"].get<int>() + 1;
    record["correct"] = record["correct"].get<int>() + (chosen == trial.intruder ? 1 : 0);
  }
  details.push_back(std::move(detail));
  return true;
}

// The journal record of one feature: its score, or why there is none (any
// exception included: one bad answer must not end the stage). A feature
// scores only when every trial was answered, so all scores share one
// denominator. nullopt once the stage is stopped.
std::optional<json> score_feature(dictlab::RunContext& context, llm_client::ChatClient& client,
                                  std::int64_t feature, double density, const Prepared& prepared) {
  const std::function<bool()> stop = [&] { return context.stop_requested(); };
  json record = {{"feature", feature}, {"density", density}, {"score", nullptr}, {"trials", 0}, {"correct", 0}};
  json details = json::array();
  try {
    if (!prepared.error.empty()) record["error"] = prepared.error;
    for (std::size_t t = 0; t < prepared.trials.size() && !record.contains("error"); ++t)
      if (!ask(client, prepared.trials[t], stop, record, details)) return std::nullopt;
    if (!record.contains("error"))
      record["score"] = record["correct"].get<double>() / record["trials"].get<double>();
  } catch (const std::exception& error) {
    record["score"] = nullptr;
    record["error"] = error.what();
  }
  record["details"] = std::move(details);
  return record;
}

std::map<std::int64_t, json> read_journal(const fs::path& file) {
  std::map<std::int64_t, json> records;
  for (auto& record : label_scores::read_journal_records(file, {"feature"})) {
    if (!record["feature"].is_number_integer()) continue;
    // The key first: json's assignment takes its operand by value, moved from before the left side is evaluated.
    const std::int64_t feature = record["feature"].get<std::int64_t>();
    records[feature] = std::move(record);
  }
  return records;
}

class IntruderScores : public dictlab::Evaluator {
 public:
  dictlab::Report evaluate(dictlab::RunContext& context) override {
    const auto& o = context.options();
    const llm_client::ChatOptions chat = llm_client::chat_options(context);
    const std::int64_t trials = o.get_int("trials"), shown = o.get_int("shown");
    llm_client::ChatClient client(chat, context.log());

    const auto& analysis = label_scores::analysis_input(context, "intruder_scores");
    auto store = dictlab::FeatureStore::open(analysis.dir / dictlab::FeatureStore::kFileName);
    const std::int64_t window = label_scores::store_window(store, context.log());
    std::map<std::int64_t, double> alive;  // feature -> density
    store.for_each_summary([&](const dictlab::FeatureSummary& s) {
      if (s.density > 0) alive[s.id] = s.density;
    });
    if (alive.empty())
      throw dictlab::PluginError(analysis.stage + "'s feature store has no feature with a density above 0");
    std::vector<std::int64_t> ids;
    for (const auto& [id, density] : alive) ids.push_back(id);
    const auto chosen = label_scores::sample_features(ids, o.get_int("features"), context.seed());

    const fs::path journal_file = context.checkpoint_dir() / "intruder.journal.jsonl";
    auto records = read_journal(journal_file);
    std::vector<std::int64_t> todo;
    for (std::int64_t feature : chosen)
      if (!records.contains(feature)) todo.push_back(feature);
    if (!records.empty())
      context.log().info("resuming: " + std::to_string(chosen.size() - todo.size()) + " features already scored, " +
                         std::to_string(todo.size()) + " to go");
    context.progress().set_total(static_cast<double>(chosen.size()));
    context.progress().set_done(static_cast<double>(chosen.size() - todo.size()));

    if (!todo.empty()) {
      client.check_reachable();  // before the held-out pass: a missing server should not wait for it
      const auto pool = label_scores::input_heldout_pool(context, todo, o.get_int("heldout_contexts"), window);
      if (context.stop_requested()) return {};
      std::map<std::int64_t, Prepared> prepared;
      for (std::int64_t feature : todo)
        prepared[feature] = prepare(store.evidence(feature), pool, trials, shown, context.seed());
      context.log().info("asking " + std::to_string(todo.size() * static_cast<std::size_t>(trials)) +
                         " intruder questions about " + std::to_string(todo.size()) + " features of " +
                         context.input(dictlab::PluginKind::kDictionary).stage + " with " + chat.model + " at " +
                         chat.endpoint);
      run_jobs(context, client, todo, alive, prepared, chat.concurrency, journal_file, records, chosen.size());
      if (context.stop_requested()) return {};
    }
    return write_outputs(context, chosen, records, shown);
  }

 private:
  static void run_jobs(dictlab::RunContext& context, llm_client::ChatClient& client,
                       const std::vector<std::int64_t>& todo, const std::map<std::int64_t, double>& alive,
                       const std::map<std::int64_t, Prepared>& prepared, std::int64_t concurrency,
                       const fs::path& journal_file, std::map<std::int64_t, json>& records, std::size_t total) {
    const label_scores::JournaledJobs jobs{
        .count = todo.size(),
        .make = [&](std::size_t i) {
          return score_feature(context, client, todo[i], alive.at(todo[i]), prepared.at(todo[i]));
        },
        .keep = [&](std::size_t i, json record) { records[todo[i]] = std::move(record); }};
    label_scores::run_journaled_jobs(context, jobs, concurrency, journal_file, total,
                                     {"intruder_features_total", "Features scored, by outcome."});
  }

  static dictlab::Report write_outputs(dictlab::RunContext& context, const std::vector<std::int64_t>& chosen,
                                       const std::map<std::int64_t, json>& records, std::int64_t shown) {
    std::string lines, details;
    std::vector<double> scores, densities;
    std::int64_t failures = 0;
    for (std::int64_t feature : chosen) {
      const auto it = records.find(feature);
      if (it == records.end()) continue;
      const json& record = it->second;
      // A fixed key order, for people reading it.
      nlohmann::ordered_json line;
      for (const char* key : {"feature", "density", "score", "trials", "correct"})
        line[key] = record.value(key, json());
      if (record.contains("error")) line["error"] = record["error"];
      lines += llm_client::dump_model_text(line) + "\n";
      details += llm_client::dump_model_text(json{{"feature", feature},
                                                  {"trials", record.value("details", json::array())}}) + "\n";
      if (record["score"].is_number()) {
        scores.push_back(record["score"].get<double>());
        densities.push_back(record["density"].get<double>());
      } else {
        ++failures;
      }
    }
    dictlab::AtomicFile::write_all(context.stage_dir() / "intruder.jsonl", lines);
    dictlab::AtomicFile::write_all(context.stage_dir() / "intruder_details.jsonl", details);
    context.log().info("scored " + std::to_string(scores.size()) + " features, " + std::to_string(failures) +
                       " could not be");
    return report(context, scores, densities, failures, shown);
  }

  static dictlab::Report report(dictlab::RunContext& context, const std::vector<double>& scores,
                                const std::vector<double>& densities, std::int64_t failures, std::int64_t shown) {
    dictlab::Report report;
    const std::string dictionary = context.input(dictlab::PluginKind::kDictionary).stage;
    auto add = [&](std::string name, double value, dictlab::MetricLabels labels, std::string help) {
      labels["dictionary"] = dictionary;
      report.figures.push_back({std::move(name), value, std::move(labels), std::move(help)});
    };
    if (!scores.empty()) {
      add("intruder_score_mean", label_scores::mean(scores), {},
          "Mean intruder score: the share of trials the LLM named the context where the feature is silent.");
      add("intruder_score_stddev", label_scores::standard_deviation(scores), {},
          "Standard deviation of the features' intruder scores.");
    }
    add("intruder_score_count", static_cast<double>(scores.size()), {}, "Features with an intruder score.");
    add("intruder_score_failed", static_cast<double>(failures), {},
        "Features that could not be scored (see intruder.jsonl's error).");
    add("intruder_chance", 1.0 / static_cast<double>(shown + 1), {},
        "The intruder score of guessing: 1 / (shown + 1).");
    for (const auto& [le, count] : label_scores::cumulative_buckets(scores))
      add("intruder_score_features", count, {{"le", le}},
          "Features scoring at most `le` (cumulative, for histograms).");
    // Ranks only: the same for density and log density.
    if (const auto rho = label_scores::spearman(scores, densities))
      add("intruder_density_correlation", *rho, {},
          "Spearman's rank correlation of the intruder score with the feature's density (so with its log too).");
    return report;
  }
};

}  // namespace

DICTLAB_PLUGIN(IntruderScores, describe)

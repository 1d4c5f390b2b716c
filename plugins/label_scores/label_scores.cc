// Evaluator: scores the labels of labeler stages the way the interpretability
// literature does, with an LLM behind an OpenAI-compatible endpoint (the same
// options as the llm labeler) or a sentence-embedding model:
//   detection  (EleutherAI delphi): given the label and N numbered contexts,
//              half activating, half where the feature is silent, which match?
//              Balanced accuracy.
//   simulation (Bills et al. 2023, without logprobs): given the label, predict
//              the feature's activation (0-10) on each token of top examples
//              and random held-out windows; Pearson correlation with the truth.
//   embedding  (delphi, no LLM): how well the label's embedding similarity
//              separates activating from silent contexts; ROC AUC.
// A shuffled-labels control (`controls`) scores each stage's labels on other
// features' contexts too, so a score can be read against what chance gives.
// Every feature's scores are journaled as they arrive (a killed stage resumes
// with the rest), then written to scores.jsonl (and the prompts' contexts with
// the answers to score_details.jsonl); the report has bounded aggregates.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "chat_client.h"
#include "endpoint_options.h"
#include "contexts.h"
#include "dictlab/feature_store.h"
#include "dictlab/sdk.h"
#include "dictlab/token_shards.h"
#include "embedding_scorer.h"
#include "scoring.h"
#include "sentence_embedder.h"
#include "stage_support.h"
#include "utf8_text.h"

namespace {

namespace fs = std::filesystem;
using dictlab::OptionError;
using dictlab::OptionSpec;
using dictlab::OptionType;
using nlohmann::json;

std::vector<dictlab::OptionSpec> options() {
  // A simulation answers one line per token, hence the long default answer.
  std::vector<dictlab::OptionSpec> specs = llm_client::endpoint_options(320);
  std::vector<dictlab::OptionSpec> own = {
      OptionSpec{"features", OptionType::kInt,
                 "Score at most this many labels per labeler stage, a seeded sample preferring features every stage "
                 "labelled (0: all).",
                 std::int64_t{100}}
          .at_least(0),
      OptionSpec{"scorers", OptionType::kStringList,
                 "Which scores to make: detection and simulation ask the LLM endpoint, embedding needs none.",
                 std::vector<std::string>{"detection", "simulation"}}
          .one_of({"detection", "simulation", "embedding"}),
      OptionSpec{"detection_contexts", OptionType::kInt,
                 "Contexts shown per detection question: half activating examples, half held-out windows where the "
                 "feature is 0.",
                 std::int64_t{6}}
          .at_least(2),
      OptionSpec{"simulation_contexts", OptionType::kInt,
                 "Contexts simulated per label: top examples and random held-out windows, half each.", std::int64_t{4}}
          .at_least(1),
      OptionSpec{"embedding_contexts", OptionType::kInt,
                 "Contexts compared with each label's embedding: half activating examples, half held-out windows "
                 "where the feature is 0.",
                 std::int64_t{20}}
          .at_least(2),
      {"embedding_model", OptionType::kString,
       "Folder of the sentence-embedding model (all-MiniLM-L6-v2, installed by `bash .ci/install-llm`); \"\": "
       "$DICTLAB_LLM_CACHE/all-MiniLM-L6-v2, else /var/cache/dictlab/llm/all-MiniLM-L6-v2.",
       std::string("")},
      {"controls", OptionType::kBool,
       "Also score each labeler stage's labels on other features' contexts (a seeded shuffle), as the stage "
       "\"<stage>:shuffled\": what a label that is not about the feature scores.",
       false},
      label_scores::heldout_contexts_option(),
      OptionSpec{"skip_top_examples", OptionType::kInt,
                 "Top examples an explainer was shown (the llm labeler's `examples`), not used for scoring while "
                 "others remain.",
                 std::int64_t{5}}
          .at_least(0),
  };
  for (auto& spec : own) specs.push_back(std::move(spec));
  return specs;
}

dictlab::PluginDescriptor describe() {
  return {.name = "label_scores",
          .version = "1.0.0",
          .summary = "Scores labels with an LLM: detection (delphi, balanced accuracy) and simulation (Bills et al. "
                     "2023, correlation); or with sentence embeddings (delphi, ROC AUC); compares labelers with the "
                     "human labels and with shuffled labels.",
          .options = options()};
}

// The labels of one labeler stage.
struct StageLabels {
  std::string stage, labeler;
  std::map<std::int64_t, json> labels;  // features with a label and no error
  std::vector<double> rubrics;
  std::string control_of;  // for a shuffled-labels control: the stage lending its labels; else ""
};

// The shuffled-labels control of a stage: each of its chosen features gets
// the label of another of them (a seeded derangement), so its scores are
// those of fluent labels that are not about the feature.
StageLabels shuffled_control(const StageLabels& stage, const std::vector<std::int64_t>& features,
                             std::uint64_t seed) {
  StageLabels out{stage.stage + ":shuffled", stage.labeler, {}, {}, stage.stage};
  const auto lender = label_scores::derangement(features.size(), label_scores::mix(seed ^ 0x5348'5546'464CULL));
  for (std::size_t i = 0; i < lender.size(); ++i) {
    json label = stage.labels.at(features[lender[i]]);
    label["label_feature"] = features[lender[i]];
    out.labels[features[i]] = std::move(label);
  }
  return out;
}

// The embedding model of the option, or where .ci/install-llm puts it.
std::unique_ptr<label_scores::SentenceEmbedder> load_embedder(const std::string& option, dictlab::Logger& log) {
  const fs::path folder = option.empty() ? label_scores::SentenceEmbedder::installed_folder() : fs::path(option);
  try {
    auto embedder = std::make_unique<label_scores::SentenceEmbedder>(folder);
    log.info("sentence embeddings: " + folder.string());
    return embedder;
  } catch (const dictlab::PluginError& error) {
    throw OptionError("embedding_model", std::string(error.what()) +
                                             (option.empty() ? "; install the model with `bash .ci/install-llm`" : ""));
  }
}

StageLabels read_labels(const dictlab::StageInput& input, std::int64_t n_features, dictlab::Logger& log) {
  StageLabels out{input.stage, input.plugin, {}, {}};
  std::ifstream in(input.dir / "labels.jsonl");
  if (!in) throw dictlab::PluginError("cannot read " + (input.dir / "labels.jsonl").string());
  std::string line;
  std::int64_t unusable = 0;
  while (std::getline(in, line)) {
    const auto label = json::parse(line, nullptr, false);
    if (!label.is_object() || !label.contains("feature") || !label["feature"].is_number_integer()) {
      ++unusable;
      continue;
    }
    const auto feature = label["feature"].get<std::int64_t>();
    const std::string text = label.value("text", std::string());
    if (label.contains("labeler") && label["labeler"].is_string()) out.labeler = label["labeler"].get<std::string>();
    if (label.contains("error") || text.empty()) continue;
    if (feature < 0 || feature >= n_features) {
      ++unusable;
      continue;
    }
    out.labels[feature] = label;
    if (label.contains("rubric") && label["rubric"].is_number()) out.rubrics.push_back(label["rubric"].get<double>());
  }
  if (unusable > 0)
    log.warn(input.stage + "/labels.jsonl: " + std::to_string(unusable) +
             " lines are not labels of this analysis' features; left out");
  return out;
}

std::string record_key(const std::string& stage, std::int64_t feature) {
  return stage + "\n" + std::to_string(feature);
}

std::map<std::string, json> read_journal(const fs::path& file) {
  std::map<std::string, json> records;
  for (auto& record : label_scores::read_journal_records(file, {"labeler_stage", "feature"})) {
    // The key first: json's assignment takes its operand by value, moved from before the left side is evaluated.
    const std::string key =
        record_key(record["labeler_stage"].get<std::string>(), record["feature"].get<std::int64_t>());
    records[key] = std::move(record);
  }
  return records;
}

json score_or_null(std::optional<double> score) {
  return score && std::isfinite(*score) ? json(*score) : json();
}

using label_scores::excerpt;
using label_scores::mean;

struct Job {
  std::size_t stage;
  std::int64_t feature;
};

// The labels of every labeler stage among the inputs (those with labels.jsonl).
std::vector<StageLabels> read_labeler_stages(dictlab::RunContext& context, std::int64_t n_features) {
  std::vector<StageLabels> stages;
  for (const auto& input : context.inputs())
    if (fs::exists(input.dir / "labels.jsonl")) stages.push_back(read_labels(input, n_features, context.log()));
  if (stages.empty())
    throw dictlab::PluginError("label_scores needs one or more labeler stages among its inputs (none has labels.jsonl)");
  return stages;
}

// The chosen labels the journal has no score of yet, and the features they label.
struct Pending {
  std::vector<Job> jobs;
  std::set<std::int64_t> features;
  std::size_t total = 0;  // chosen labels, scored or not
};

Pending pending_jobs(const std::vector<StageLabels>& stages, const std::vector<std::vector<std::int64_t>>& chosen,
                     const std::map<std::string, json>& records) {
  Pending pending;
  for (std::size_t s = 0; s < stages.size(); ++s)
    for (std::int64_t feature : chosen[s]) {
      ++pending.total;
      if (records.contains(record_key(stages[s].stage, feature))) continue;
      pending.jobs.push_back({s, feature});
      pending.features.insert(feature);
    }
  return pending;
}

class LabelScores : public dictlab::Evaluator {
 public:
  struct Scorers {
    bool detection = false, simulation = false, embedding = false;
    bool need_llm() const { return detection || simulation; }
  };
  // What scores a label: the LLM client, which scorers, and the embedding
  // scorer when it is asked for.
  struct Scorer {
    llm_client::ChatClient& client;
    Scorers scorers;
    const label_scores::EmbeddingScorer* embedding;
  };

  dictlab::Report evaluate(dictlab::RunContext& context) override {
    const auto& o = context.options();
    const llm_client::ChatOptions chat = llm_client::chat_options(context);
    const std::int64_t per_stage = o.get_int("features");
    const std::int64_t heldout_contexts = o.get_int("heldout_contexts");
    const auto& names = o.get_strings("scorers");
    const Scorers scorers{.detection = std::ranges::count(names, "detection") > 0,
                          .simulation = std::ranges::count(names, "simulation") > 0,
                          .embedding = std::ranges::count(names, "embedding") > 0};
    if (!scorers.need_llm() && !scorers.embedding) throw OptionError("scorers", "names no scorer");
    const label_scores::ContextOptions shape{o.get_int("detection_contexts"), o.get_int("simulation_contexts"),
                                             o.get_int("skip_top_examples"),
                                             scorers.embedding ? o.get_int("embedding_contexts") : 0};
    llm_client::ChatClient client(chat, context.log());

    // The analysis (features.sqlite) and the labeler stages (labels.jsonl) among the inputs.
    const dictlab::StageInput& analysis = label_scores::analysis_input(context, "label_scores");
    auto store = dictlab::FeatureStore::open(analysis.dir / dictlab::FeatureStore::kFileName);
    std::vector<StageLabels> stages = read_labeler_stages(context, store.meta("n_features").get<std::int64_t>());
    std::vector<std::set<std::int64_t>> labelled;
    for (const StageLabels& stage : stages) {
      std::set<std::int64_t> ids;
      for (const auto& [feature, label] : stage.labels) ids.insert(feature);
      labelled.push_back(std::move(ids));
    }
    auto chosen = label_scores::choose_features(labelled, per_stage, context.seed());
    if (o.get_bool("controls")) add_controls(stages, chosen, context.seed(), context.log());

    const fs::path journal_file = context.checkpoint_dir() / "scores.journal.jsonl";
    auto records = read_journal(journal_file);
    const Pending pending = pending_jobs(stages, chosen, records);
    if (!records.empty())
      context.log().info("resuming: " + std::to_string(pending.total - pending.jobs.size()) +
                         " labels already scored, " + std::to_string(pending.jobs.size()) + " to go");
    context.progress().set_total(static_cast<double>(pending.total));
    context.progress().set_done(static_cast<double>(pending.total - pending.jobs.size()));
    if (pending.jobs.empty()) return write_outputs(context, names, stages, chosen, records);

    // Loaded first: a missing model should not wait for the held-out pass.
    const auto embedder = scorers.embedding ? load_embedder(o.get_string("embedding_model"), context.log()) : nullptr;
    // The contexts of each feature, shared by every label of it.
    const std::vector<std::int64_t> features(pending.features.begin(), pending.features.end());
    const auto pool = label_scores::input_heldout_pool(context, features, heldout_contexts,
                                                       label_scores::store_window(store, context.log()));
    if (context.stop_requested()) return {};
    std::map<std::int64_t, label_scores::FeatureContexts> contexts;
    for (std::int64_t feature : features)
      contexts[feature] = label_scores::feature_contexts(store.evidence(feature), pool, shape, context.seed());
    std::optional<label_scores::EmbeddingScorer> embedding;
    if (embedder) {
      context.log().info("embedding the contexts of " + std::to_string(contexts.size()) + " features");
      embedding.emplace(*embedder);
      embedding->embed_contexts(contexts, [&] { return context.stop_requested(); });
      if (context.stop_requested()) return {};
    }
    const std::string llm = scorers.need_llm() ? " with " + chat.model + " at " + chat.endpoint : "";
    context.log().info("scoring " + std::to_string(pending.jobs.size()) + " labels of " +
                       std::to_string(stages.size()) + " labeler stages" + llm);
    if (scorers.need_llm()) client.check_reachable();
    const Scorer scorer{client, scorers, embedding ? &*embedding : nullptr};
    run_jobs(context, scorer, stages, pending.jobs, contexts, chat.concurrency, journal_file, records, pending.total);
    if (context.stop_requested()) return {};
    return write_outputs(context, names, stages, chosen, records);
  }

 private:
  // A shuffled-labels control after each stage with two or more chosen
  // features, scored on the same features.
  static void add_controls(std::vector<StageLabels>& stages, std::vector<std::vector<std::int64_t>>& chosen,
                           std::uint64_t seed, dictlab::Logger& log) {
    const std::size_t labelers = stages.size();
    for (std::size_t s = 0; s < labelers; ++s) {
      if (chosen[s].size() < 2) {
        log.warn(stages[s].stage + " has fewer than two labels to score: no shuffled control");
        continue;
      }
      stages.push_back(shuffled_control(stages[s], chosen[s], seed));
      chosen.push_back(chosen[s]);
    }
  }

  static void run_jobs(dictlab::RunContext& context, const Scorer& scorer, const std::vector<StageLabels>& stages,
                       const std::vector<Job>& jobs,
                       const std::map<std::int64_t, label_scores::FeatureContexts>& contexts, std::int64_t concurrency,
                       const fs::path& journal_file, std::map<std::string, json>& records, std::size_t total) {
    const label_scores::JournaledJobs work{
        .count = jobs.size(),
        .make = [&](std::size_t i) {
          return score_job(context, scorer, stages[jobs[i].stage], jobs[i].feature, contexts);
        },
        .keep = [&](std::size_t i, json record) {
          records[record_key(stages[jobs[i].stage].stage, jobs[i].feature)] = std::move(record);
        }};
    label_scores::run_journaled_jobs(context, work, concurrency, journal_file, total,
                                     {"label_scores_total", "Labels scored, by outcome."});
  }

  // The journal record of one label: its scores, or why there are none (any
  // exception included: one bad answer must not end the stage); nullopt once
  // the stage is stopped.
  static std::optional<json> score_job(dictlab::RunContext& context, const Scorer& scorer, const StageLabels& stage,
                                       std::int64_t feature,
                                       const std::map<std::int64_t, label_scores::FeatureContexts>& contexts) {
    const auto& label = stage.labels.at(feature);
    json record;
    try {
      auto result = score(context, scorer, label.at("text").get<std::string>(), feature, contexts.at(feature));
      if (!result) return std::nullopt;
      record = std::move(*result);
    } catch (const std::exception& error) {
      record = {{"simulation", nullptr}, {"detection", nullptr}, {"embedding", nullptr}, {"error", error.what()}};
    }
    if (!stage.control_of.empty()) {
      record["control"] = "shuffled";
      record["label_feature"] = label.at("label_feature");
    }
    record["labeler_stage"] = stage.stage;
    record["labeler"] = stage.labeler;
    record["author"] = label.contains("author") && label["author"].is_string() ? label["author"] : json("");
    record["feature"] = feature;
    record["text"] = label.at("text");  // read_labels kept only labels with a text
    return record;
  }

  // One label's scores as they are made: a failed scorer is null, with why in `errors`.
  struct Scored {
    json record = {{"simulation", nullptr}, {"detection", nullptr}, {"embedding", nullptr}};
    json details = json::object();
    std::vector<std::string> errors;
  };

  // The scores of one label (a failed scorer is null, with why in "error");
  // nullopt when the stage was stopped mid-way.
  static std::optional<json> score(dictlab::RunContext& context, const Scorer& scorer, const std::string& text,
                                   std::int64_t feature, const label_scores::FeatureContexts& contexts) {
    const std::function<bool()> stop = [&] { return context.stop_requested(); };
    Scored out;
    if (scorer.scorers.detection && !detect(scorer.client, text, contexts.detection, stop, out)) return std::nullopt;
    if (scorer.scorers.simulation && !simulate(scorer.client, text, contexts, stop, out)) return std::nullopt;
    if (scorer.scorers.embedding) {
      if (!contexts.embedding.error.empty()) {
        out.errors.push_back("embedding: " + contexts.embedding.error);
      } else {
        auto result = scorer.embedding->score(text, feature);
        out.record["embedding"] = score_or_null(result.auc);
        out.details["embedding"] = std::move(result.details);
      }
    }
    if (!out.errors.empty()) {
      std::string joined;
      for (const auto& e : out.errors) joined += (joined.empty() ? "" : "; ") + e;
      out.record["error"] = joined;
    }
    out.record["details"] = std::move(out.details);
    return std::move(out.record);
  }

  // Detection: false when the stage was stopped mid-way.
  static bool detect(llm_client::ChatClient& client, const std::string& text,
                     const label_scores::LabelledContexts& contexts, const std::function<bool()>& stop, Scored& out) {
    if (!contexts.error.empty()) {
      out.errors.push_back("detection: " + contexts.error);
      return true;
    }
    const int n = static_cast<int>(contexts.texts.size());
    const auto result = client.complete(
        llm_client::detection_prompt(text, contexts.texts),
        [n](const std::string& answer) -> std::string {
          if (label_scores::parse_detection_answer(answer, n)) return "";
          return "the answer has no list of example numbers: " + excerpt(answer);
        },
        stop, llm_client::detection_format(n));
    if (result.error == "stopped") return false;
    json shown = json::array();
    for (std::size_t i = 0; i < contexts.texts.size(); ++i)
      shown.push_back({{"text", llm_client::shown(contexts.texts[i])},
                       {"activating", static_cast<bool>(contexts.activating[i])}});
    out.details["detection"] = {{"contexts", shown}};
    if (result.content) {
      const auto chosen = *label_scores::parse_detection_answer(*result.content, n);
      out.details["detection"]["chosen"] = chosen;
      out.record["detection"] = score_or_null(label_scores::balanced_accuracy(contexts.activating, chosen));
    } else {
      out.errors.push_back("detection: " + result.error + " (after " + std::to_string(result.attempts) + " attempts)");
    }
    return true;
  }

  // Simulation: false when the stage was stopped mid-way.
  static bool simulate(llm_client::ChatClient& client, const std::string& text,
                       const label_scores::FeatureContexts& contexts, const std::function<bool()>& stop, Scored& out) {
    if (!contexts.simulation_error.empty()) {
      out.errors.push_back("simulation: " + contexts.simulation_error);
      return true;
    }
    std::vector<double> predicted, truth;
    json simulated = json::array();
    bool ok = true;
    for (const auto& sim : contexts.simulation) {
      const std::size_t n = sim.tokens.size();
      const auto result = client.complete(
          llm_client::simulation_prompt(text, sim.tokens),
          [n](const std::string& answer) -> std::string {
            if (label_scores::parse_simulation_answer(answer, n)) return "";
            return "the answer does not have one activation per token (" + std::to_string(n) +
                   " tokens): " + excerpt(answer);
          },
          stop, llm_client::simulation_format(n));
      if (result.error == "stopped") return false;
      json entry = {{"tokens", json::array()}, {"true", sim.activations}, {"top_example", sim.top_example}};
      for (const auto& token : sim.tokens) entry["tokens"].push_back(llm_client::shown(token));
      if (!result.content) {
        out.errors.push_back("simulation: " + result.error + " (after " + std::to_string(result.attempts) +
                             " attempts)");
        simulated.push_back(std::move(entry));
        ok = false;
        break;  // one context short: the correlation would not be over the same tokens
      }
      const auto values = *label_scores::parse_simulation_answer(*result.content, n);
      entry["predicted"] = values;
      simulated.push_back(std::move(entry));
      predicted.insert(predicted.end(), values.begin(), values.end());
      truth.insert(truth.end(), sim.activations.begin(), sim.activations.end());
    }
    out.details["simulation"] = {{"contexts", simulated}};
    if (ok) {
      const auto correlation = label_scores::pearson(predicted, truth);
      out.record["simulation"] = correlation.value;
      if (!correlation.note.empty()) out.record["simulation_note"] = correlation.note;
    }
    return true;
  }

  // `asked`: the scorers option; figures are made for those scorers only.
  static dictlab::Report write_outputs(dictlab::RunContext& context, const std::vector<std::string>& asked,
                                       const std::vector<StageLabels>& stages,
                                       const std::vector<std::vector<std::int64_t>>& chosen,
                                       const std::map<std::string, json>& records) {
    static const char* kScorers[] = {"simulation", "detection", "embedding"};
    std::vector<const char*> reported;
    for (const char* scorer : kScorers)
      if (std::ranges::count(asked, scorer) > 0) reported.push_back(scorer);
    std::string scores, details;
    // scores[stage][scorer][feature]
    std::vector<std::map<std::string, std::map<std::int64_t, double>>> by_stage(stages.size());
    std::vector<std::map<std::string, std::int64_t>> failures(stages.size());
    for (std::size_t s = 0; s < stages.size(); ++s) {
      for (std::int64_t feature : chosen[s]) {
        const auto it = records.find(record_key(stages[s].stage, feature));
        if (it == records.end()) continue;
        json line = it->second;
        json detail = {{"labeler_stage", stages[s].stage},
                       {"feature", feature},
                       {"text", line["text"]},
                       {"details", line.value("details", json::object())}};
        line.erase("details");
        for (const char* scorer : kScorers) {
          if (line.contains(scorer) && line[scorer].is_number())
            by_stage[s][scorer][feature] = line[scorer].get<double>();
          else if (line.value("error", "").find(std::string(scorer) + ":") != std::string::npos)
            ++failures[s][scorer];  // not when that scorer was not asked for
        }
        // A fixed key order, for people reading it.
        nlohmann::ordered_json ordered;
        for (const char* key : {"labeler_stage", "labeler", "author", "feature", "text", "simulation", "detection",
                                "embedding"})
          ordered[key] = line[key];
        for (const char* key : {"control", "label_feature", "simulation_note", "error"})
          if (line.contains(key)) ordered[key] = line[key];
        scores += llm_client::dump_model_text(ordered) + "\n";
        details += llm_client::dump_model_text(detail) + "\n";
      }
    }
    dictlab::AtomicFile::write_all(context.stage_dir() / "scores.jsonl", scores);
    dictlab::AtomicFile::write_all(context.stage_dir() / "score_details.jsonl", details);

    dictlab::Report report;
    auto add = [&](std::string name, double value, dictlab::MetricLabels labels, std::string help) {
      report.figures.push_back({std::move(name), value, std::move(labels), std::move(help)});
    };
    for (std::size_t s = 0; s < stages.size(); ++s) {
      const auto& stage = stages[s];
      for (const char* scorer : reported) {
        std::vector<double> values;
        for (const auto& [feature, value] : by_stage[s][scorer]) values.push_back(value);
        const dictlab::MetricLabels labels = {{"labeler_stage", stage.stage}, {"labeler", stage.labeler},
                                              {"scorer", scorer}};
        if (!values.empty()) {
          add("label_score_mean", mean(values), labels,
              "Mean score of a labeler stage's labels (simulation: correlation; detection: balanced accuracy; "
              "embedding: ROC AUC).");
          add("label_score_stddev", label_scores::standard_deviation(values), labels,
              "Standard deviation of a labeler stage's scores.");
        }
        add("label_score_count", static_cast<double>(values.size()), labels, "Labels scored successfully.");
        add("label_score_failed", static_cast<double>(failures[s][scorer]), labels,
            "Labels whose score could not be made (see scores.jsonl's error).");
        for (const auto& [le, count] : label_scores::cumulative_buckets(values))
          add("label_score_features", count, {{"labeler_stage", stage.stage}, {"scorer", scorer}, {"le", le}},
              "Labels scoring at most `le` (cumulative, for histograms).");
      }
      if (!stage.control_of.empty()) add_control_margins(stages, s, by_stage, add);
      if (stage.labeler == "human" && !stage.rubrics.empty()) {
        add("label_rubric_mean", mean(stage.rubrics), {{"labeler_stage", stage.stage}},
            "Mean of the 0-4 confidence rubric people gave their labels.");
        add("label_rubric_count", static_cast<double>(stage.rubrics.size()), {{"labeler_stage", stage.stage}},
            "Human labels with a rubric score.");
      }
    }

    // Every other stage against each human stage, on the features both labelled.
    // Per-feature scores only for these: as many series as features people labelled.
    std::set<std::tuple<std::size_t, std::string, std::int64_t>> per_feature;
    auto add_feature_score = [&](std::size_t s, const char* scorer, std::int64_t feature, double value) {
      if (per_feature.emplace(s, scorer, feature).second)
        add("label_feature_score", value,
            {{"labeler_stage", stages[s].stage}, {"scorer", scorer}, {"feature", std::to_string(feature)}},
            "Score of one feature's label, for features labelled by a person and another labeler.");
    };
    for (std::size_t a = 0; a < stages.size(); ++a) {
      if (stages[a].labeler != "human" || !stages[a].control_of.empty()) continue;
      for (std::size_t b = 0; b < stages.size(); ++b) {
        if (b == a || (stages[b].labeler == "human" && b < a) || !stages[b].control_of.empty()) continue;
        const dictlab::MetricLabels pair = {{"a", stages[a].stage}, {"b", stages[b].stage}};
        std::vector<double> agreement;
        for (const auto& [feature, label] : stages[a].labels)
          if (const auto it = stages[b].labels.find(feature); it != stages[b].labels.end())
            agreement.push_back(label_scores::jaccard_similarity(label.value("text", std::string()),
                                                                 it->second.value("text", std::string())));
        add("label_pair_features", static_cast<double>(agreement.size()), pair,
            "Features labelled by both stages of the pair.");
        if (!agreement.empty())
          add("label_agreement_mean", mean(agreement), pair,
              "Mean Jaccard similarity of the two labels' lowercased word sets.");
        for (const char* scorer : reported) {
          std::vector<double> differences;
          for (const auto& [feature, score_a] : by_stage[a][scorer])
            if (const auto it = by_stage[b][scorer].find(feature); it != by_stage[b][scorer].end()) {
              differences.push_back(it->second - score_a);
              add_feature_score(a, scorer, feature, score_a);
              add_feature_score(b, scorer, feature, it->second);
            }
          dictlab::MetricLabels labels = pair;
          labels["scorer"] = scorer;
          add("label_pair_scored_features", static_cast<double>(differences.size()), labels,
              "Features both stages' labels were scored on.");
          if (!differences.empty())
            add("label_score_difference_mean", mean(differences), labels,
                "Mean of b's score minus a's on the features both were scored on.");
        }
      }
    }
    std::int64_t lines = 0;
    for (char c : scores) lines += c == '\n';
    context.log().info("scored " + std::to_string(lines) + " labels of " + std::to_string(stages.size()) +
                       " labeler stages");
    return report;
  }

  // A labeler stage's scores minus its shuffled control's, feature by
  // feature: how far its labels are from labels that are not about the feature.
  template <typename Add>
  static void add_control_margins(const std::vector<StageLabels>& stages, std::size_t control,
                                  const std::vector<std::map<std::string, std::map<std::int64_t, double>>>& by_stage,
                                  Add& add) {
    std::size_t lender = 0;
    while (stages[lender].stage != stages[control].control_of) ++lender;
    for (const auto& [scorer, scores] : by_stage[control]) {
      std::vector<double> margins;
      for (const auto& [feature, shuffled] : scores)
        if (const auto it = by_stage[lender].find(scorer); it != by_stage[lender].end())
          if (const auto own = it->second.find(feature); own != it->second.end())
            margins.push_back(own->second - shuffled);
      if (margins.empty()) continue;
      const dictlab::MetricLabels labels = {{"labeler_stage", stages[lender].stage}, {"scorer", scorer}};
      add("label_score_control_margin", mean(margins), labels,
          "Mean of a stage's score minus its shuffled-labels control's, over the features both were scored on.");
      add("label_score_control_margin_stderr",
          label_scores::standard_deviation(margins) / std::sqrt(static_cast<double>(margins.size())), labels,
          "Standard error of that mean.");
    }
  }
};

}  // namespace

DICTLAB_PLUGIN(LabelScores, describe)

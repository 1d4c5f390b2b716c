// The label_scores stage over a tiny run (model, TopK dictionary, analysis,
// a baseline and a human labeler stage) against fake OpenAI-compatible servers.
#include <gtest/gtest.h>
#include <signal.h>

#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <set>

#include "dictlab/label_store.h"
#include "fake_llm_server.h"
#include "tiny_site_run.h"

namespace dictlab::testing {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::vector<json> read_jsonl(const fs::path& file) {
  std::vector<json> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    auto parsed = json::parse(line, nullptr, false);
    if (!parsed.is_discarded()) lines.push_back(std::move(parsed));  // a line being written is skipped
  }
  return lines;
}

json read_json(const fs::path& file) {
  std::ifstream in(file);
  return json::parse(in);
}

CommandResult run(const fs::path& experiment, std::vector<std::string> extra = {}) {
  std::vector<std::string> argv = {DICTLAB_BINARY, "run", experiment.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_command(argv, plugin_environment());
}

// The tiny run with two labeler stages: `baseline` (every feature that fired)
// and `human`, whose labels.sqlite the test fills: 8 features, 3 of them
// with the baseline's very words, the others with words no baseline label
// has; rubric 2 on even features, 4 on odd.
struct LabelledRun {
  fs::path experiment;
  std::string base;  // the experiment's text without the scoring stages
  std::int64_t human_labels = 0, same_words = 0;
  double rubric_mean = 0;
};

constexpr int kSameWords = 3, kHumanLabels = 8;

LabelledRun labelled_run(const TempDir& dir) {
  LabelledRun out;
  out.experiment = write_tiny_site_experiment(dir.path());
  out.base = read_text(out.experiment) +
             "\n[[stage]]\nname = \"baseline\"\nplugin = \"baseline\"\ninputs = [\"features\"]\n"
             "\n[[stage]]\nname = \"human\"\nplugin = \"human\"\ninputs = [\"features\"]\n";
  write_text(out.experiment, out.base);
  const auto first = run(out.experiment);
  EXPECT_EQ(first.exit_code, 0) << first.output;
  const auto baseline = read_jsonl(dir / "run/stages/baseline/labels.jsonl");
  EXPECT_GE(baseline.size(), static_cast<std::size_t>(kHumanLabels));
  {
    LabelStore store(dir / "run/labels.sqlite");
    double rubrics = 0;
    for (int i = 0; i < kHumanLabels && i < static_cast<int>(baseline.size()); ++i) {
      const auto feature = baseline[static_cast<std::size_t>(i)]["feature"].get<std::int64_t>();
      const std::string text = i < kSameWords ? baseline[static_cast<std::size_t>(i)]["text"].get<std::string>()
                                              : "zqx vrk " + std::to_string(i) + "qq";
      const double rubric = i % 2 == 0 ? 2 : 4;
      store.put("features", {.feature = feature, .author = "ada", .text = text, .rubric = rubric});
      rubrics += rubric;
      ++out.human_labels;
    }
    out.rubric_mean = rubrics / static_cast<double>(out.human_labels);
  }
  out.same_words = kSameWords;
  const auto again = run(out.experiment, {"--force", "human"});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  return out;
}

// A label_scores stage `name` over both labeler stages.
std::string scores_stage(const std::string& name, const FakeLlmServer& server, const std::string& more = "",
                         int features = 6) {
  return "\n[[stage]]\nname = \"" + name + "\"\nplugin = \"label_scores\"\n"
         "inputs = [\"model\", \"tokens\", \"sae\", \"features\", \"baseline\", \"human\"]\n"
         "endpoint = \"" + server.endpoint() + "\"\nmodel = \"fake-llm\"\nfeatures = " + std::to_string(features) +
         "\n" + more;
}

std::string last_user_message(const json& request) {
  return request["messages"].back()["content"].get<std::string>();
}
bool is_detection(const json& request) {
  return request["messages"][0]["content"].get<std::string>().find("linguistics") != std::string::npos;
}
// The text between `from` and the next `to` in `text`.
std::string between(const std::string& text, const std::string& from, const std::string& to) {
  const auto start = text.find(from);
  if (start == std::string::npos) return "";
  const auto end = text.find(to, start + from.size());
  return text.substr(start + from.size(), end == std::string::npos ? std::string::npos : end - start - from.size());
}
std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  for (char c : text) {
    if (c == '\n') {
      lines.push_back(line);
      line.clear();
    } else {
      line += c;
    }
  }
  lines.push_back(line);
  return lines;
}
std::vector<std::string> simulated_tokens(const json& request) {
  return split_lines(between(last_user_message(request), "<start>\n", "\n<end>"));
}

// Plausible answers: contexts 1-3 match; each token's activation is its length mod 11.
std::string plausible(const json& request) {
  if (is_detection(request)) return "[1, 2, 3]";
  std::string answer;
  for (const auto& token : simulated_tokens(request)) answer += token + "\t" + std::to_string(token.size() % 11) + "\n";
  return answer;
}

void expect_scores_in_range(const std::vector<json>& scores) {
  for (const auto& line : scores) {
    for (const char* key : {"labeler_stage", "labeler", "author", "feature", "text", "simulation", "detection"})
      EXPECT_TRUE(line.contains(key)) << key << " missing in " << line;
    if (line["simulation"].is_number()) {
      EXPECT_GE(line["simulation"].get<double>(), -1.0) << line;
      EXPECT_LE(line["simulation"].get<double>(), 1.0) << line;
    }
    if (line["detection"].is_number()) {
      EXPECT_GE(line["detection"].get<double>(), 0.0) << line;
      EXPECT_LE(line["detection"].get<double>(), 1.0) << line;
    }
    if (!line["simulation"].is_number() || !line["detection"].is_number())
      EXPECT_TRUE(line.contains("error")) << "a missing score says why: " << line;
  }
}

// The figure with exactly these labels, if the report has it.
std::optional<double> figure(const json& report, const std::string& name, const json& labels) {
  for (const auto& f : report["figures"])
    if (f["name"] == name && f["labels"] == labels) return f["value"].get<double>();
  return std::nullopt;
}

TEST(LabelScores, ScoresEveryLabelReportsAndAskingAgainIsFree) {
  TempDir dir;
  const auto setup = labelled_run(dir);
  FakeLlmServer server(plausible);
  write_text(setup.experiment, setup.base + scores_stage("scores", server, "concurrency = 3\n"));
  const auto result = run(setup.experiment);
  ASSERT_EQ(result.exit_code, 0) << result.output;

  const auto stage = dir / "run/stages/scores";
  const auto scores = read_jsonl(stage / "scores.jsonl");
  std::map<std::string, std::vector<std::int64_t>> features;
  for (const auto& line : scores) features[line["labeler_stage"]].push_back(line["feature"]);
  ASSERT_EQ(features["baseline"].size(), 6u) << "features = 6 per labeler stage";
  ASSERT_EQ(features["human"].size(), 6u);
  EXPECT_EQ(features["baseline"], features["human"]) << "the same features, those every stage labelled";
  EXPECT_EQ(scores.size(), 12u);
  expect_scores_in_range(scores);
  int scored = 0;
  for (const auto& line : scores) {
    EXPECT_EQ(line["labeler"], line["labeler_stage"]) << "the plugins' names";
    if (line["labeler"] == "human") EXPECT_EQ(line["author"], "ada");
    scored += line["simulation"].is_number() && line["detection"].is_number();
  }
  EXPECT_GE(scored, 6) << "most features of the tiny run can be scored both ways";
  EXPECT_EQ(read_jsonl(stage / "score_details.jsonl").size(), scores.size());
  EXPECT_GT(server.requests(), 12);

  const auto report = read_json(stage / "report.json");
  for (const std::string labeler : {"baseline", "human"})
    for (const std::string scorer : {"simulation", "detection"}) {
      const json labels = {{"labeler_stage", labeler}, {"labeler", labeler}, {"scorer", scorer}};
      const auto count = figure(report, "label_score_count", labels);
      ASSERT_TRUE(count) << labeler << " " << scorer;
      const auto failed = figure(report, "label_score_failed", labels);
      ASSERT_TRUE(failed);
      EXPECT_EQ(*count + *failed, 6);
      if (*count > 0) EXPECT_TRUE(figure(report, "label_score_mean", labels));
      double previous = 0;
      for (const char* le : {"0", "0.2", "0.4", "0.6", "0.8", "1", "+Inf"}) {
        const auto bucket = figure(report, "label_score_features", {{"labeler_stage", labeler}, {"scorer", scorer}, {"le", le}});
        ASSERT_TRUE(bucket) << le;
        EXPECT_GE(*bucket, previous) << "cumulative";
        previous = *bucket;
      }
      EXPECT_EQ(previous, *count);
    }
  const json pair = {{"a", "human"}, {"b", "baseline"}};
  EXPECT_EQ(figure(report, "label_pair_features", pair), static_cast<double>(setup.human_labels));
  const auto agreement = figure(report, "label_agreement_mean", pair);
  ASSERT_TRUE(agreement);
  EXPECT_NEAR(*agreement, static_cast<double>(setup.same_words) / static_cast<double>(setup.human_labels), 1e-9);
  EXPECT_EQ(figure(report, "label_rubric_mean", {{"labeler_stage", "human"}}), setup.rubric_mean);
  EXPECT_FALSE(figure(report, "label_rubric_mean", {{"labeler_stage", "baseline"}}));
  for (const std::string scorer : {"simulation", "detection"}) {
    json labels = pair;
    labels["scorer"] = scorer;
    const auto both = figure(report, "label_pair_scored_features", labels);
    ASSERT_TRUE(both);
    if (*both > 0) {
      const auto difference = figure(report, "label_score_difference_mean", labels);
      ASSERT_TRUE(difference);
      EXPECT_LE(std::abs(*difference), scorer == "simulation" ? 2.0 : 1.0);
    }
  }
  // Per-feature series exist only for features a person labelled (and another stage too).
  std::set<std::string> human_features;
  for (const auto& f : report["figures"])
    if (f["labels"].contains("feature")) {
      EXPECT_EQ(f["name"], "label_feature_score") << f;
      if (f["labels"]["labeler_stage"] == "human") human_features.insert(f["labels"]["feature"].get<std::string>());
    }
  EXPECT_FALSE(human_features.empty());
  EXPECT_LE(human_features.size(), 6u);
  const std::string metrics = read_text(dir / "run/metrics.prom");
  EXPECT_NE(metrics.find("dictlab_label_score_mean{"), std::string::npos);

  const int asked = server.requests();
  const auto again = run(setup.experiment, {"--force", "scores"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(server.requests(), asked) << "every answer comes from the cache";
  EXPECT_EQ(read_jsonl(stage / "scores.jsonl"), scores);
}

// A label as the prompts show it (newlines and tabs made visible).
std::string shown(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += "\u21B5";
    else if (c == '\t') out += "\u21E5";
    else if (c != '\r') out += c;
  }
  return out;
}

// A fake that knows the truth (from a first stage's score_details.jsonl):
// it picks exactly the activating contexts and predicts every activation
// (scaled), so every label scores 1 both ways.
class Oracle {
 public:
  explicit Oracle(const std::vector<json>& details) {
    double largest = 0;
    for (const auto& d : details)
      for (const auto& c : d["details"]["simulation"]["contexts"])
        for (const auto& t : c["true"]) largest = std::max(largest, t.get<double>());
    scale_ = largest > 0 ? 10.0 / largest : 1.0;
    for (const auto& d : details) {
      const std::string text = shown(d["text"].get<std::string>());
      if (d["details"].contains("detection")) {
        std::string key = text;
        std::vector<int> activating;
        int i = 0;
        for (const auto& c : d["details"]["detection"]["contexts"]) {
          key += "\n" + c["text"].get<std::string>();
          ++i;
          if (c["activating"].get<bool>()) activating.push_back(i);
        }
        detection_[key] = activating;
      }
      for (const auto& c : d["details"]["simulation"]["contexts"]) {
        std::string key = text;
        for (const auto& token : c["tokens"]) key += "\n" + token.get<std::string>();
        const auto truth = c["true"].get<std::vector<double>>();
        if (const auto it = simulation_.find(key); it != simulation_.end() && it->second != truth) ambiguous_.insert(key);
        simulation_[key] = truth;
      }
    }
  }

  std::string answer(const json& request) {
    const std::string user = last_user_message(request);
    if (is_detection(request)) {
      std::string key = between(user, "Feature: ", "\n");
      for (const auto& line : split_lines(user))
        if (line.rfind("Example ", 0) == 0) key += "\n" + line.substr(line.find(": ") + 2);
      const auto it = detection_.find(key);
      if (it == detection_.end()) return "I do not know this one.";
      std::string answer = "[";
      for (int n : it->second) answer += (answer.size() > 1 ? ", " : "") + std::to_string(n);
      return answer + "]";
    }
    std::string key = between(user, "Explanation of neuron 1 behavior: ", "\n");
    const auto tokens = simulated_tokens(request);
    for (const auto& token : tokens) key += "\n" + token;
    std::lock_guard lock(mutex_);
    const auto it = simulation_.find(key);
    if (it == simulation_.end() || ambiguous_.count(key)) {
      ++unknown_;
      return "I do not know this one.";
    }
    std::string answer;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      char value[32];
      std::snprintf(value, sizeof value, "%.9f", it->second[i] * scale_);
      answer += tokens[i] + "\t" + value + "\n";
    }
    return answer;
  }
  int unknown() const { return unknown_; }

 private:
  double scale_ = 1;
  std::map<std::string, std::vector<int>> detection_;
  std::map<std::string, std::vector<double>> simulation_;
  std::set<std::string> ambiguous_;
  std::mutex mutex_;
  int unknown_ = 0;
};

TEST(LabelScores, APerfectSimulatorAndDetectorScoreOne) {
  TempDir dir;
  const auto setup = labelled_run(dir);
  FakeLlmServer probe(plausible);
  const std::string probe_stage = scores_stage("probe", probe);
  write_text(setup.experiment, setup.base + probe_stage);
  const auto first = run(setup.experiment);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const auto details = read_jsonl(dir / "run/stages/probe/score_details.jsonl");
  ASSERT_EQ(details.size(), 12u);

  // The same options but another endpoint: the same contexts, asked anew.
  Oracle oracle(details);
  FakeLlmServer server([&](const json& request) { return oracle.answer(request); });
  write_text(setup.experiment, setup.base + probe_stage + scores_stage("perfect", server, "max_attempts = 1\n"));
  const auto result = run(setup.experiment);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto scores = read_jsonl(dir / "run/stages/perfect/scores.jsonl");
  ASSERT_EQ(scores.size(), 12u);
  expect_scores_in_range(scores);
  int perfect_simulations = 0, perfect_detections = 0;
  for (const auto& line : scores) {
    if (line["simulation"].is_number()) {
      EXPECT_NEAR(line["simulation"].get<double>(), 1.0, 1e-6) << line;
      ++perfect_simulations;
    }
    if (line["detection"].is_number()) {
      EXPECT_EQ(line["detection"].get<double>(), 1.0) << line;
      ++perfect_detections;
    }
  }
  EXPECT_GE(perfect_simulations, 6);
  EXPECT_GE(perfect_detections, 6);
  EXPECT_LE(oracle.unknown(), 2) << "only windows two labels share with different truths are unknown";
}

TEST(LabelScores, GarbageAnswersAreRecordedFailuresNotAFailedStage) {
  TempDir dir;
  const auto setup = labelled_run(dir);
  FakeLlmServer server([](const json&) { return std::string("I would rather talk about the weather."); });
  // A bad option first: the stage fails naming it, and asks nothing.
  write_text(setup.experiment, setup.base + scores_stage("scores", server, "detection_contexts = 1\n", 2));
  const auto bad = run(setup.experiment);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("detection_contexts"), std::string::npos) << bad.output;
  EXPECT_EQ(server.requests(), 0);

  // Two labels per stage keep the retries' back-off short.
  write_text(setup.experiment, setup.base + scores_stage("scores", server, "max_attempts = 2\nconcurrency = 4\n", 2));
  const auto result = run(setup.experiment);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto scores = read_jsonl(dir / "run/stages/scores/scores.jsonl");
  ASSERT_EQ(scores.size(), 4u);
  expect_scores_in_range(scores);
  for (const auto& line : scores) {
    EXPECT_TRUE(line["simulation"].is_null()) << line;
    EXPECT_TRUE(line["detection"].is_null()) << line;
    ASSERT_TRUE(line.contains("error")) << line;
    const std::string error = line["error"];
    EXPECT_TRUE(error.find("after 2 attempts") != std::string::npos || error.find("no held-out window") != std::string::npos)
        << error;
  }
  EXPECT_GT(server.requests(), 0);
  EXPECT_LE(server.requests(), 4 * (2 + 2)) << "2 attempts at detection and at the first simulation, per label";
  const auto report = read_json(dir / "run/stages/scores/report.json");
  for (const std::string labeler : {"baseline", "human"})
    for (const std::string scorer : {"simulation", "detection"}) {
      const json labels = {{"labeler_stage", labeler}, {"labeler", labeler}, {"scorer", scorer}};
      EXPECT_EQ(figure(report, "label_score_count", labels), 0.0);
      EXPECT_EQ(figure(report, "label_score_failed", labels), 2.0);
      EXPECT_FALSE(figure(report, "label_score_mean", labels)) << "no mean of nothing";
    }
}

TEST(LabelScores, AKilledStageResumesWithTheLabelsNotScoredYet) {
  TempDir dir;
  const auto setup = labelled_run(dir);
  FakeLlmServer server([](const json& request) {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    return plausible(request);
  });
  write_text(setup.experiment, setup.base + scores_stage("scores", server));
  Process first({DICTLAB_BINARY, "run", setup.experiment.string()}, plugin_environment(), dir / "first.log");
  const auto journal = dir / "run/stages/scores/checkpoint/scores.journal.jsonl";
  ASSERT_TRUE(wait_for([&] { return fs::exists(journal) && read_jsonl(journal).size() >= 2; }, std::chrono::seconds(240)))
      << first.output();
  first.signal(SIGINT);
  EXPECT_EQ(first.wait(), 130) << first.output();
  const auto done = read_jsonl(journal);
  ASSERT_LT(done.size(), 12u);
  std::set<std::pair<std::string, std::int64_t>> done_keys;
  for (const auto& d : done)
    done_keys.emplace(d["labeler_stage"].get<std::string>(), d["feature"].get<std::int64_t>());

  // Without the answer cache, only what the journal lacks is asked again.
  fs::remove_all(dir / "run/llm_cache");
  const int asked = server.requests();
  const auto second = run(setup.experiment);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  const auto scores = read_jsonl(dir / "run/stages/scores/scores.jsonl");
  ASSERT_EQ(scores.size(), 12u);
  int expected = 0;
  std::set<std::pair<std::string, std::int64_t>> asked_again;  // the same label of a feature is one set of prompts
  for (const auto& d : read_jsonl(dir / "run/stages/scores/score_details.jsonl")) {
    if (done_keys.count({d["labeler_stage"].get<std::string>(), d["feature"].get<std::int64_t>()})) continue;
    if (!asked_again.emplace(d["text"].get<std::string>(), d["feature"].get<std::int64_t>()).second) continue;
    expected += d["details"].contains("detection") ? 1 : 0;
    if (d["details"].contains("simulation")) expected += static_cast<int>(d["details"]["simulation"]["contexts"].size());
  }
  EXPECT_EQ(server.requests() - asked, expected);
}

// Where .ci/install-llm puts the embedding scorer's model.
fs::path installed_embedding_model() {
  const char* cache = std::getenv("DICTLAB_LLM_CACHE");
  return fs::path(cache && *cache ? cache : "/var/cache/dictlab/llm") / "all-MiniLM-L6-v2";
}

std::string embedding_stage(const std::string& scorers, const std::string& more = "") {
  // Nothing listens at the endpoint: the embedding scorer must not need it.
  return "\n[[stage]]\nname = \"scores\"\nplugin = \"label_scores\"\n"
         "inputs = [\"model\", \"tokens\", \"sae\", \"features\", \"baseline\", \"human\"]\n"
         "endpoint = \"http://127.0.0.1:9/v1\"\nfeatures = 6\nembedding_contexts = 8\ncontrols = true\n"
         "scorers = " + scorers + "\n" + more;
}

TEST(LabelScores, EmbeddingScoresNeedNoLlmAndComeWithAShuffledControl) {
  if (!fs::exists(installed_embedding_model() / "model.safetensors"))
    GTEST_SKIP() << "all-MiniLM-L6-v2 is not in " << installed_embedding_model().string()
                 << "; get it with `bash .ci/install-llm`";
  TempDir dir;
  const auto setup = labelled_run(dir);
  write_text(setup.experiment, setup.base + embedding_stage("[\"embeding\"]"));
  const auto misspelt = run(setup.experiment);
  EXPECT_NE(misspelt.exit_code, 0);
  EXPECT_NE(misspelt.output.find("did you mean \"embedding\""), std::string::npos) << misspelt.output;
  write_text(setup.experiment, setup.base + embedding_stage("[\"embedding\"]", "embedding_model = \"/nonexistent\"\n"));
  const auto missing = run(setup.experiment);
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("embedding_model"), std::string::npos) << missing.output;
  EXPECT_NE(missing.output.find("/nonexistent has no config.json"), std::string::npos) << missing.output;

  write_text(setup.experiment, setup.base + embedding_stage("[\"embedding\"]"));
  const auto result = run(setup.experiment);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto stage = dir / "run/stages/scores";
  const auto scores = read_jsonl(stage / "scores.jsonl");
  ASSERT_EQ(scores.size(), 24u) << "6 features of baseline, human and their shuffled controls";
  std::map<std::pair<std::string, std::int64_t>, std::string> texts;
  for (const auto& line : scores) texts[{line["labeler_stage"], line["feature"]}] = line["text"];
  int scored = 0;
  for (const auto& line : scores) {
    EXPECT_TRUE(line["simulation"].is_null() && line["detection"].is_null()) << line;
    if (line["embedding"].is_number()) {
      EXPECT_GE(line["embedding"].get<double>(), 0.0);
      EXPECT_LE(line["embedding"].get<double>(), 1.0);
      ++scored;
    } else {
      EXPECT_NE(line.value("error", "").find("embedding: "), std::string::npos) << line;
    }
    const std::string name = line["labeler_stage"];
    if (name.ends_with(":shuffled")) {
      EXPECT_EQ(line["control"], "shuffled");
      EXPECT_NE(line["label_feature"], line["feature"]) << "a label of another feature";
      const std::string lender = name.substr(0, name.size() - std::string(":shuffled").size());
      const std::pair<std::string, std::int64_t> lent{lender, line["label_feature"].get<std::int64_t>()};
      EXPECT_EQ(line["text"], texts[lent]);
    } else {
      EXPECT_FALSE(line.contains("control"));
    }
  }
  EXPECT_GE(scored, 12) << "most features of the tiny run have activating and silent contexts";
  for (const auto& d : read_jsonl(stage / "score_details.jsonl"))
    for (const auto& c : d["details"].value("embedding", json::object()).value("contexts", json::array())) {
      EXPECT_LE(std::abs(c["similarity"].get<double>()), 1.0 + 1e-6);
      EXPECT_TRUE(c["activating"].is_boolean());
    }

  const auto report = read_json(stage / "report.json");
  for (const std::string labeler : {"baseline", "human"})
    for (const std::string name : {labeler, labeler + ":shuffled"}) {
      const json labels = {{"labeler_stage", name}, {"labeler", labeler}, {"scorer", "embedding"}};
      const auto count = figure(report, "label_score_count", labels);
      ASSERT_TRUE(count) << name;
      EXPECT_EQ(*count + *figure(report, "label_score_failed", labels), 6.0);
      EXPECT_FALSE(figure(report, "label_score_count", {{"labeler_stage", name}, {"labeler", labeler},
                                                        {"scorer", "detection"}}))
          << "figures only for the scorers asked for";
    }
  EXPECT_TRUE(figure(report, "label_score_control_margin", {{"labeler_stage", "baseline"}, {"scorer", "embedding"}}));
  EXPECT_TRUE(figure(report, "label_pair_features", {{"a", "human"}, {"b", "baseline"}}));
  EXPECT_FALSE(figure(report, "label_pair_features", {{"a", "human"}, {"b", "baseline:shuffled"}}))
      << "controls are not compared with people";
}

}  // namespace
}  // namespace dictlab::testing

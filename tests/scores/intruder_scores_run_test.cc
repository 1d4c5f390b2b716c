// The intruder_scores stage over a tiny run (model, TopK dictionary,
// analysis) against fake OpenAI-compatible servers: one that always names
// the third context in free text, one that knows every trial's intruder and
// answers in the JSON the request's schema asks for, one that talks of
// something else; a killed stage resumes.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "dictlab/feature_store.h"
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

// The tiny run, run once; returns the experiment's text without the scoring stages.
std::string tiny_run(const TempDir& dir) {
  const auto experiment = write_tiny_site_experiment(dir.path());
  const auto first = run(experiment);
  EXPECT_EQ(first.exit_code, 0) << first.output;
  return read_text(experiment);
}

std::string intruder_stage(const std::string& name, const FakeLlmServer& server, const std::string& more) {
  return "\n[[stage]]\nname = \"" + name + "\"\nplugin = \"intruder_scores\"\n"
         "inputs = [\"model\", \"tokens\", \"sae\", \"features\"]\n"
         "endpoint = \"" + server.endpoint() + "\"\nmodel = \"fake-llm\"\n" + more;
}

// The alive features of the tiny run's analysis and their densities.
std::map<std::int64_t, double> alive_features(const fs::path& run_dir) {
  auto store = FeatureStore::open(run_dir / "stages/features" / FeatureStore::kFileName);
  std::map<std::int64_t, double> alive;
  store.for_each_summary([&](const FeatureSummary& s) {
    if (s.density > 0) alive[s.id] = s.density;
  });
  return alive;
}

std::string last_user_message(const json& request) {
  return request["messages"].back()["content"].get<std::string>();
}

// The contexts of a question, as its "Example n: ..." lines show them.
std::vector<std::string> shown_contexts(const json& request) {
  std::vector<std::string> contexts;
  std::istringstream in(last_user_message(request));
  for (std::string line; std::getline(in, line);)
    if (line.rfind("Example ", 0) == 0) contexts.push_back(line.substr(line.find(": ") + 2));
  return contexts;
}

// The figure with exactly these labels, if the report has it.
std::optional<double> figure(const json& report, const std::string& name, json labels) {
  labels["dictionary"] = "sae";
  for (const auto& f : report["figures"])
    if (f["name"] == name && f["labels"] == labels) return f["value"].get<double>();
  return std::nullopt;
}

// report.json says what intruder.jsonl says.
void expect_report_matches(const fs::path& stage, double chance) {
  const auto lines = read_jsonl(stage / "intruder.jsonl");
  const auto report = read_json(stage / "report.json");
  std::vector<double> scores;
  for (const auto& line : lines)
    if (line["score"].is_number()) scores.push_back(line["score"].get<double>());
  EXPECT_EQ(figure(report, "intruder_score_count", json::object()), static_cast<double>(scores.size()));
  EXPECT_EQ(figure(report, "intruder_score_failed", json::object()),
            static_cast<double>(lines.size() - scores.size()));
  EXPECT_EQ(figure(report, "intruder_chance", json::object()), chance);
  if (scores.empty()) {
    EXPECT_FALSE(figure(report, "intruder_score_mean", json::object())) << "no mean of nothing";
  } else {
    double sum = 0;
    for (double s : scores) sum += s;
    const auto mean = figure(report, "intruder_score_mean", json::object());
    ASSERT_TRUE(mean);
    EXPECT_NEAR(*mean, sum / static_cast<double>(scores.size()), 1e-12);
  }
  for (const auto& [le, bound] : std::vector<std::pair<std::string, double>>{
           {"0", 0}, {"0.4", 0.4}, {"1", 1}, {"+Inf", INFINITY}}) {
    double at_most = 0;
    for (double s : scores) at_most += s <= bound + 1e-12;
    EXPECT_EQ(figure(report, "intruder_score_features", {{"le", le}}), at_most) << le;
  }
  if (const auto rho = figure(report, "intruder_density_correlation", json::object())) {
    EXPECT_GE(*rho, -1.0);
    EXPECT_LE(*rho, 1.0);
  }
}

TEST(IntruderScores, AFixedFreeTextAnswerScoresTheShareOfTrialsWithTheIntruderThere) {
  TempDir dir;
  const std::string base = tiny_run(dir);
  std::atomic<int> with_schema{0};
  FakeLlmServer server([&](const json& request) {
    with_schema += request.contains("response_format");
    return std::string("Example 3 is the odd one out.");
  });
  const auto experiment = dir / "exp.toml";
  write_text(experiment, base + intruder_stage("intruder", server, "shown = 1\n"));
  const auto bad = run(experiment);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("shown"), std::string::npos) << bad.output;
  EXPECT_EQ(server.requests(), 0);

  write_text(experiment, base + intruder_stage("intruder", server, "features = 0\ntrials = 2\nconcurrency = 3\n"));
  const auto result = run(experiment);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto stage = dir / "run/stages/intruder";
  const auto lines = read_jsonl(stage / "intruder.jsonl");
  const auto details = read_jsonl(stage / "intruder_details.jsonl");
  const auto alive = alive_features(dir / "run");
  ASSERT_EQ(lines.size(), alive.size()) << "features = 0: every alive feature";
  ASSERT_EQ(details.size(), lines.size());
  std::set<int> positions;
  int scored = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& line = lines[i];
    const std::int64_t feature = line["feature"];
    ASSERT_TRUE(alive.count(feature)) << line;
    EXPECT_DOUBLE_EQ(line["density"].get<double>(), alive.at(feature));
    EXPECT_EQ(details[i]["feature"], feature);
    if (!line["score"].is_number()) {
      EXPECT_TRUE(line.contains("error")) << "a missing score says why: " << line;
      continue;
    }
    ++scored;
    ASSERT_EQ(line["trials"], 2);
    int third = 0;
    for (const auto& trial : details[i]["trials"]) {
      ASSERT_EQ(trial["contexts"].size(), 5u);
      positions.insert(trial["intruder"].get<int>());
      third += trial["intruder"] == 3;
      EXPECT_EQ(trial["chosen"], 3) << "\"Example 3 ...\" names the third";
    }
    EXPECT_EQ(line["correct"], third);
    EXPECT_DOUBLE_EQ(line["score"].get<double>(), third / 2.0) << line;
  }
  EXPECT_GE(scored, static_cast<int>(lines.size()) / 2) << "most features of the tiny run can be asked";
  EXPECT_GE(positions.size(), 4u) << "the intruder moves around";
  EXPECT_EQ(with_schema, server.requests()) << "every request asks for the JSON answer";
  expect_report_matches(stage, 0.2);

  const int asked = server.requests();
  const auto again = run(experiment, {"--force", "intruder"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(server.requests(), asked) << "every answer comes from the cache";
  EXPECT_EQ(read_jsonl(stage / "intruder.jsonl"), lines);
}

// A fake that knows every trial's intruder (from a first stage's details)
// and answers as the request's schema says.
TEST(IntruderScores, AnOracleAnsweringInTheSchemasJsonScoresOne) {
  TempDir dir;
  const std::string base = tiny_run(dir);
  FakeLlmServer probe([](const json&) { return std::string("1"); });
  const std::string options = "features = 12\ntrials = 3\nshown = 3\n";
  const std::string probe_stage = intruder_stage("probe", probe, options);
  write_text(dir / "exp.toml", base + probe_stage);
  const auto first = run(dir / "exp.toml");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  std::map<std::vector<std::string>, int> intruders;
  for (const auto& d : read_jsonl(dir / "run/stages/probe/intruder_details.jsonl"))
    for (const auto& trial : d["trials"])
      intruders[trial["contexts"].get<std::vector<std::string>>()] = trial["intruder"].get<int>();
  ASSERT_FALSE(intruders.empty());

  std::atomic<int> unknown{0}, unstructured{0};
  FakeLlmServer oracle([&](const json& request) {
    const auto& format = request.value("response_format", json::object());
    const auto choices = format.value("json_schema", json::object())["schema"]["properties"]["intruder"]["enum"];
    if (format.value("type", "") != "json_schema" || choices != json({1, 2, 3, 4})) ++unstructured;
    const auto it = intruders.find(shown_contexts(request));
    if (it == intruders.end()) {
      ++unknown;
      return std::string("I do not know this one.");
    }
    return json{{"intruder", it->second}}.dump();
  });
  const auto experiment = dir / "exp.toml";
  write_text(experiment, base + probe_stage + intruder_stage("oracle", oracle, options + "max_attempts = 1\n"));
  const auto result = run(experiment);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(unknown, 0);
  EXPECT_EQ(unstructured, 0) << "{\"intruder\": one of 1..shown + 1}";
  const auto stage = dir / "run/stages/oracle";
  const auto lines = read_jsonl(stage / "intruder.jsonl");
  ASSERT_EQ(lines.size(), 12u);
  int scored = 0;
  for (const auto& line : lines)
    if (line["score"].is_number()) {
      EXPECT_EQ(line["score"], 1.0) << line;
      EXPECT_EQ(line["correct"], 3);
      ++scored;
    }
  EXPECT_GE(scored, 6);
  expect_report_matches(stage, 0.25);
  EXPECT_EQ(figure(read_json(stage / "report.json"), "intruder_score_mean", json::object()), 1.0);
  EXPECT_EQ(read_jsonl(dir / "run/stages/probe/intruder.jsonl").size(), 12u) << "the same features";
}

TEST(IntruderScores, UnusableAnswersAreRecordedFailuresNotAFailedStage) {
  TempDir dir;
  const std::string base = tiny_run(dir);
  FakeLlmServer server([](const json&) { return std::string("I would rather talk about the weather."); });
  write_text(dir / "exp.toml",
             base + intruder_stage("intruder", server, "features = 4\nmax_attempts = 2\nretry_backoff_ms = 1\n"));
  const auto result = run(dir / "exp.toml");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto stage = dir / "run/stages/intruder";
  const auto lines = read_jsonl(stage / "intruder.jsonl");
  ASSERT_EQ(lines.size(), 4u);
  for (const auto& line : lines) {
    EXPECT_TRUE(line["score"].is_null()) << line;
    const std::string error = line.value("error", "");
    const bool unanswered =
        error.find("trial 1: ") != std::string::npos && error.find("after 2 attempts") != std::string::npos;
    EXPECT_TRUE(unanswered || error.find("no held-out window") != std::string::npos ||
                error.find("activating") != std::string::npos)
        << error;
  }
  EXPECT_LE(server.requests(), 4 * 2) << "a feature stops at its first unanswered trial";
  expect_report_matches(stage, 0.2);
}

TEST(IntruderScores, AKilledStageResumesWithTheFeaturesNotScoredYet) {
  TempDir dir;
  const std::string base = tiny_run(dir);
  FakeLlmServer server([](const json&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    return std::string("2");
  });
  write_text(dir / "exp.toml", base + intruder_stage("intruder", server, "features = 10\ntrials = 3\n"));
  Process first({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, plugin_environment(), dir / "first.log");
  const auto journal = dir / "run/stages/intruder/checkpoint/intruder.journal.jsonl";
  ASSERT_TRUE(wait_for([&] { return fs::exists(journal) && read_jsonl(journal).size() >= 2; }, std::chrono::seconds(240)))
      << first.output();
  first.signal(SIGINT);
  EXPECT_EQ(first.wait(), 130) << first.output();
  std::set<std::int64_t> done;
  for (const auto& d : read_jsonl(journal)) done.insert(d["feature"].get<std::int64_t>());
  ASSERT_LT(done.size(), 10u);

  // Without the answer cache, only what the journal lacks is asked again.
  fs::remove_all(dir / "run/llm_cache");
  const int asked = server.requests();
  const auto second = run(dir / "exp.toml");
  ASSERT_EQ(second.exit_code, 0) << second.output;
  const auto stage = dir / "run/stages/intruder";
  ASSERT_EQ(read_jsonl(stage / "intruder.jsonl").size(), 10u);
  int expected = 0;
  for (const auto& d : read_jsonl(stage / "intruder_details.jsonl"))
    if (!done.count(d["feature"].get<std::int64_t>())) expected += static_cast<int>(d["trials"].size());
  EXPECT_EQ(server.requests() - asked, expected);
  expect_report_matches(stage, 0.2);
}

}  // namespace
}  // namespace dictlab::testing

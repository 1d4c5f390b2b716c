#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <regex>

#include "dictlab/label_store.h"
#include "fake_llm_server.h"
#include "tiny_site_run.h"

namespace dictlab::testing {
namespace {

std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& file) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// The tiny run plus one labeler stage `labels` over its feature analysis.
std::filesystem::path experiment(const TempDir& dir, const std::string& labeler_stage) {
  const auto file = write_tiny_site_experiment(dir.path());
  write_text(file, read_text(file) + "\n[[stage]]\nname = \"labels\"\ninputs = [\"features\"]\n" + labeler_stage);
  return file;
}

CommandResult run(const std::filesystem::path& experiment, std::vector<std::string> extra = {},
                  std::map<std::string, std::string> env = plugin_environment()) {
  std::vector<std::string> argv = {DICTLAB_BINARY, "run", experiment.string()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return run_command(argv, env);
}

std::string llm_stage(const FakeLlmServer& server, const std::string& more = "") {
  return "plugin = \"llm\"\nendpoint = \"" + server.endpoint() + "\"\nmodel = \"fake-llm\"\nretry_backoff_ms = 20\n" +
         (more.find("features =") == std::string::npos ? "features = 4\n" : "") + more;
}

std::string explain(const nlohmann::json&) { return " tokens of Arabic script."; }

TEST(BaselineLabeler, LabelsEveryFeatureThatFiredTheSameWayTwice) {
  TempDir dir;
  const auto file = experiment(dir, "plugin = \"baseline\"\n");
  const auto first = run(file);
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const auto labels = read_jsonl(dir / "run/stages/labels/labels.jsonl");
  ASSERT_GT(labels.size(), 64u);
  for (const auto& label : labels) {
    EXPECT_EQ(label["labeler"], "baseline");
    EXPECT_FALSE(label["text"].get<std::string>().empty()) << label;
  }
  const auto again = run(file, {"--force", "labels"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(read_jsonl(dir / "run/stages/labels/labels.jsonl"), labels);
}

TEST(LlmLabeler, RetriesThroughFaultsAndAskedAgainCostsNothing) {
  FakeLlmServer server(explain);
  server.script({.status = 429, .retry_after = "0"});
  server.script({.status = 500});
  server.script({.raw_body = R"({"choices": [{"message": {"content": "trunc)"});
  server.script({.content = "   "});  // an answer with no explanation in it
  server.script({.delay = std::chrono::milliseconds(2500)});  // past the timeout below
  TempDir dir;
  const auto file = experiment(dir, llm_stage(server, "timeout_seconds = 1\nmax_attempts = 6\napi_key_env = \"FAKE_KEY\"\n"));
  auto env = plugin_environment();
  env["FAKE_KEY"] = "sk-test-secret-123";
  const auto result = run(file, {}, env);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto labels = read_jsonl(dir / "run/stages/labels/labels.jsonl");
  ASSERT_EQ(labels.size(), 4u);
  for (const auto& label : labels) {
    EXPECT_EQ(label["text"], "tokens of Arabic script") << label;
    EXPECT_EQ(label["author"], "fake-llm");
    EXPECT_FALSE(label.contains("error"));
  }
  EXPECT_EQ(server.requests(), 4 + 5);
  EXPECT_EQ(server.last_authorization(), "Bearer sk-test-secret-123");
  EXPECT_EQ(result.output.find("sk-test-secret-123"), std::string::npos);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "run"))
    if (entry.is_regular_file())
      EXPECT_EQ(read_text(entry.path()).find("sk-test-secret-123"), std::string::npos) << entry.path();

  const auto again = run(file, {"--force", "labels"}, env);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(server.requests(), 9) << "answers are cached by prompt";
}

TEST(LlmLabeler, AnEndpointThatAlwaysFailsIsRecordedNotFatal) {
  FakeLlmServer server(explain);
  for (int i = 0; i < 8; ++i) server.script({.status = 503});
  TempDir dir;
  const auto file = experiment(dir, llm_stage(server, "max_attempts = 2\n"));
  const auto result = run(file);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto labels = read_jsonl(dir / "run/stages/labels/labels.jsonl");
  ASSERT_EQ(labels.size(), 4u);
  for (const auto& label : labels) {
    ASSERT_TRUE(label.contains("error")) << label;
    EXPECT_NE(label["error"].get<std::string>().find("HTTP 503"), std::string::npos) << label;
    EXPECT_NE(label["error"].get<std::string>().find("after 2 attempts"), std::string::npos) << label;
  }
  EXPECT_EQ(server.requests(), 8);
}

TEST(LlmLabeler, NothingListeningAtTheEndpointFailsTheStageSayingHowToStartOne) {
  TempDir dir;
  const auto file = experiment(dir, "plugin = \"llm\"\nendpoint = \"http://127.0.0.1:" + std::to_string(free_port()) +
                                        "/v1\"\nfeatures = 2\n");
  const auto result = run(file);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("nothing answers at the LLM endpoint"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("bash .ci/start-llm-server"), std::string::npos) << result.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "run/stages/features/features.sqlite")) << "earlier stages are kept";
}

TEST(LlmLabeler, AKilledStageResumesWithTheFeaturesNotLabelledYet) {
  FakeLlmServer server(explain);
  for (int i = 0; i < 8; ++i) server.script({.content = "slow answers.", .delay = std::chrono::milliseconds(300)});
  TempDir dir;
  const auto file = experiment(dir, llm_stage(server, "features = 8\n"));
  Process first({DICTLAB_BINARY, "run", file.string()}, plugin_environment(), dir / "first.log");
  const auto journal = dir / "run/stages/labels/checkpoint/labels.journal.jsonl";
  ASSERT_TRUE(wait_for([&] { return std::filesystem::exists(journal) && read_jsonl(journal).size() >= 2; },
                       std::chrono::seconds(120)))
      << first.output();
  first.signal(SIGINT);
  EXPECT_EQ(first.wait(), 130) << first.output();
  const int asked = server.requests();
  const auto done = read_jsonl(journal).size();
  ASSERT_LT(done, 8u);

  const auto second = run(file);
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_EQ(read_jsonl(dir / "run/stages/labels/labels.jsonl").size(), 8u);
  EXPECT_EQ(server.requests() - asked, static_cast<int>(8 - done)) << "only the features not labelled yet";
}

TEST(HumanLabeler, BringsThePeoplesLabelsIntoTheRun) {
  TempDir dir;
  const auto file = experiment(dir, "plugin = \"human\"\n");
  ASSERT_EQ(run(file).exit_code, 0);  // nobody has labelled anything yet: an empty labels.jsonl
  EXPECT_TRUE(read_jsonl(dir / "run/stages/labels/labels.jsonl").empty());
  {
    LabelStore store(dir / "run/labels.sqlite");
    store.put("features", {.feature = 3, .author = "ada", .text = "the letter e", .rubric = 3});
    store.put("features", {.feature = 5, .author = "bob", .text = "\xd8\xb3 Arabic", .rubric = std::nullopt});
  }
  const auto result = run(file, {"--force", "labels"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto labels = read_jsonl(dir / "run/stages/labels/labels.jsonl");
  ASSERT_EQ(labels.size(), 2u);
  EXPECT_EQ(labels[0]["feature"], 3);
  EXPECT_EQ(labels[0]["author"], "ada");
  EXPECT_EQ(labels[0]["rubric"], 3.0);
  EXPECT_EQ(labels[1]["text"], "\xd8\xb3 Arabic");
  EXPECT_TRUE(labels[1]["rubric"].is_null());
}

// A label imported before the server stamped imports with its own clock kept
// the file's created_at; the one saved last must still win.
TEST(HumanLabeler, TakesTheLabelSavedLastWhateverDateAnotherClaims) {
  TempDir dir;
  const auto file = experiment(dir, "plugin = \"human\"\n");
  ASSERT_EQ(run(file).exit_code, 0);
  {
    LabelStore store(dir / "run/labels.sqlite");
    store.put("features", {.feature = 3, .author = "mallory", .text = "forged", .created_at = "2999-01-01T00:00:00Z"});
    store.put("features", {.feature = 3, .author = "ada", .text = "the letter e", .created_at = "2026-01-01T00:00:00Z"});
  }
  const auto result = run(file, {"--force", "labels"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto labels = read_jsonl(dir / "run/stages/labels/labels.jsonl");
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0]["author"], "ada");
  EXPECT_EQ(labels[0]["text"], "the letter e");
}

// A Latin-1 row, as a CSV import once stored it, reads back with U+FFFD: it
// stops neither the stage nor `dictlab export` (which `serve` runs first).
TEST(HumanLabeler, ALabelThatIsNotUtf8StopsNeitherTheStageNorTheExport) {
  TempDir dir;
  const auto file = experiment(dir, "plugin = \"human\"\n");
  ASSERT_EQ(run(file).exit_code, 0);
  LabelStore(dir / "run/labels.sqlite").put("features", {.feature = 5, .author = "latin", .text = "caf\xe9"});
  const auto result = run(file, {"--force", "labels"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto labels = read_jsonl(dir / "run/stages/labels/labels.jsonl");
  ASSERT_EQ(labels.size(), 1u);
  EXPECT_EQ(labels[0]["text"], "caf\xef\xbf\xbd");
  const auto exported =
      run_command({DICTLAB_BINARY, "export", (dir / "run").string(), "--out", (dir / "site").string()});
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_NE(read_text(dir / "site/data/search.json").find("caf\xef\xbf\xbd"), std::string::npos);
}

}  // namespace
}  // namespace dictlab::testing

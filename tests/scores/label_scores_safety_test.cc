// The label_scores stage against endpoints that misbehave in ways that once
// lost a run or leaked a key: error bodies cut inside a CJK character (the
// scoring threads' journal lines could not be written) and an endpoint that
// echoes the Authorization header. Then label_scores and intruder_scores with
// a journal that cannot be written: the stage fails rather than scoring what
// a kill would lose.
#include <gtest/gtest.h>

#include <fstream>

#include "fake_llm_server.h"
#include "tiny_site_run.h"

namespace dictlab::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// 神 is 3 bytes: 100 of them are 300 bytes, and a cut at 200 lands inside one.
std::string cjk(int characters) {
  std::string text;
  for (int i = 0; i < characters; ++i) text += "\xe7\xa5\x9e";
  return text;
}

std::vector<json> read_jsonl(const fs::path& file) {
  std::vector<json> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

// The tiny run, a baseline labeler stage, and a label_scores stage `scores`
// of 3 of its labels on `server`.
fs::path experiment(const TempDir& dir, const FakeLlmServer& server, const std::string& more = "") {
  const auto file = write_tiny_site_experiment(dir.path());
  write_text(file, read_text(file) +
                       "\n[[stage]]\nname = \"baseline\"\nplugin = \"baseline\"\ninputs = [\"features\"]\n"
                       "\n[[stage]]\nname = \"scores\"\nplugin = \"label_scores\"\n"
                       "inputs = [\"model\", \"tokens\", \"sae\", \"features\", \"baseline\"]\n"
                       "endpoint = \"" + server.endpoint() + "\"\nmodel = \"fake-llm\"\nfeatures = 3\n"
                       "retry_backoff_ms = 20\n" + more);
  return file;
}

std::string answer_nothing_useful(const json&) { return "I cannot tell."; }

TEST(LabelScoresSafety, ErrorBodiesCutInsideACharacterAreRecordedNotACrash) {
  FakeLlmServer server(answer_nothing_useful);
  // 400 is not retried: each label's first question fails with this body.
  for (int i = 0; i < 20; ++i) server.script({.status = 400, .raw_body = cjk(100)});
  TempDir dir;
  const auto result = run_command({DICTLAB_BINARY, "run", experiment(dir, server).string()}, plugin_environment());
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto scores = read_jsonl(dir / "run/stages/scores/scores.jsonl");
  ASSERT_EQ(scores.size(), 3u);
  for (const auto& score : scores) {
    const std::string error = score.value("error", "");
    EXPECT_NE(error.find("HTTP 400"), std::string::npos) << score;
    EXPECT_NE(error.find(cjk(66)), std::string::npos) << score;
    EXPECT_TRUE(score["detection"].is_null()) << score;
  }
  EXPECT_EQ(read_jsonl(dir / "run/stages/scores/checkpoint/scores.journal.jsonl").size(), 3u);
}

TEST(LabelScoresSafety, AnEndpointEchoingTheKeyLeavesItInNoFileAndNoLog) {
  const std::string key = "sk-test-echoed-90be";
  FakeLlmServer server(answer_nothing_useful);
  server.script({.status = 500, .echo_authorization = true});  // retried, and logged as a warning
  for (int i = 0; i < 20; ++i) server.script({.status = 400, .echo_authorization = true});
  TempDir dir;
  auto env = plugin_environment();
  env["FAKE_KEY"] = key;
  const auto file = experiment(dir, server, "api_key_env = \"FAKE_KEY\"\nmax_attempts = 2\n");
  const auto result = run_command({DICTLAB_BINARY, "run", file.string()}, env);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(server.last_authorization(), "Bearer " + key);
  EXPECT_NE(result.output.find("Bearer [redacted]"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find(key), std::string::npos) << result.output;
  const auto scores = read_jsonl(dir / "run/stages/scores/scores.jsonl");
  ASSERT_EQ(scores.size(), 3u);
  EXPECT_NE(scores[0].value("error", "").find("Bearer [redacted]"), std::string::npos) << scores[0];
  for (const auto& entry : fs::recursive_directory_iterator(dir / "run"))
    if (entry.is_regular_file())
      EXPECT_EQ(read_text(entry.path()).find(key), std::string::npos) << entry.path();
}

// Runs the experiment `file`, whose scoring stage reads its key from FAKE_KEY,
// twice: first with the variable unset, so that the stage fails before it
// scores and keeps its folder for the run that resumes it; then with it set
// and `journal` made a directory, which no line can be appended to.
CommandResult run_with_unwritable_journal(const fs::path& file, const fs::path& journal) {
  const auto unset = run_command({DICTLAB_BINARY, "run", file.string()}, plugin_environment());
  EXPECT_NE(unset.exit_code, 0) << unset.output;
  EXPECT_NE(unset.output.find("FAKE_KEY"), std::string::npos) << unset.output;
  EXPECT_FALSE(fs::exists(journal));
  fs::create_directories(journal);
  auto env = plugin_environment();
  env["FAKE_KEY"] = "sk-test";
  return run_command({DICTLAB_BINARY, "run", file.string()}, env);
}

void expect_failed_naming_the_journal(const CommandResult& result, const fs::path& journal,
                                      const FakeLlmServer& server, const fs::path& output) {
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("cannot write the journal"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find((journal.parent_path().filename() / journal.filename()).string()), std::string::npos)
      << result.output;
  EXPECT_GT(server.requests(), 0) << "the stage got as far as its first record";
  EXPECT_FALSE(fs::exists(output));
}

TEST(LabelScoresSafety, AJournalThatCannotBeWrittenFailsTheStageNamingIt) {
  FakeLlmServer server(answer_nothing_useful);
  TempDir dir;
  const auto stage = dir / "run/stages/scores";
  const auto journal = stage / "checkpoint/scores.journal.jsonl";
  const auto file = experiment(dir, server, "api_key_env = \"FAKE_KEY\"\nmax_attempts = 1\n");
  expect_failed_naming_the_journal(run_with_unwritable_journal(file, journal), journal, server, stage / "scores.jsonl");
}

TEST(IntruderScoresSafety, AJournalThatCannotBeWrittenFailsTheStageNamingIt) {
  FakeLlmServer server([](const json&) { return std::string("2"); });
  TempDir dir;
  const auto file = write_tiny_site_experiment(dir.path());
  write_text(file, read_text(file) +
                       "\n[[stage]]\nname = \"intruder\"\nplugin = \"intruder_scores\"\n"
                       "inputs = [\"model\", \"tokens\", \"sae\", \"features\"]\n"
                       "endpoint = \"" + server.endpoint() + "\"\nmodel = \"fake-llm\"\nfeatures = 4\n"
                       "api_key_env = \"FAKE_KEY\"\n");
  const auto stage = dir / "run/stages/intruder";
  const auto journal = stage / "checkpoint/intruder.journal.jsonl";
  expect_failed_naming_the_journal(run_with_unwritable_journal(file, journal), journal, server,
                                   stage / "intruder.jsonl");
}

}  // namespace
}  // namespace dictlab::testing

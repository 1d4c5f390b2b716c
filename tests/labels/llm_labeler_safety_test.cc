// The llm labeler stage against endpoints that misbehave in ways that once
// lost a run or leaked a key: a long one-line CJK answer, error bodies cut
// inside a character, an endpoint echoing the Authorization header, and a
// Retry-After of eleven days met by Ctrl-C.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "fake_llm_server.h"
#include "tiny_site_run.h"

namespace dictlab::testing {
namespace {

namespace fs = std::filesystem;

// 神 is 3 bytes: 100 of them are 300 bytes, and a cut at 200 lands inside one.
std::string cjk(int characters) {
  std::string text;
  for (int i = 0; i < characters; ++i) text += "\xe7\xa5\x9e";
  return text;
}

std::vector<nlohmann::json> read_jsonl(const fs::path& file) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

// The tiny run plus an llm labeler stage `labels` of 4 features on `server`.
fs::path experiment(const TempDir& dir, const FakeLlmServer& server, const std::string& more = "") {
  const auto file = write_tiny_site_experiment(dir.path());
  write_text(file, read_text(file) + "\n[[stage]]\nname = \"labels\"\ninputs = [\"features\"]\nplugin = \"llm\"\n" +
                       "endpoint = \"" + server.endpoint() + "\"\nmodel = \"fake-llm\"\nretry_backoff_ms = 20\n" +
                       "features = 4\n" + more);
  return file;
}

CommandResult run(const fs::path& experiment, std::map<std::string, std::string> env = plugin_environment()) {
  return run_command({DICTLAB_BINARY, "run", experiment.string()}, env);
}

TEST(LlmLabelerSafety, LongCjkAnswersAndErrorBodiesAreLabelsNotACrash) {
  FakeLlmServer server([](const nlohmann::json&) { return cjk(100); });  // one line, 300 bytes
  server.script({.status = 400, .raw_body = cjk(100)});  // not retried: the first feature's error quotes it
  TempDir dir;
  const auto result = run(experiment(dir, server, "max_attempts = 2\n"));
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto labels = read_jsonl(dir / "run/stages/labels/labels.jsonl");
  ASSERT_EQ(labels.size(), 4u);
  int errors = 0;
  for (const auto& label : labels) {
    if (label.contains("error")) {
      ++errors;
      EXPECT_NE(label["error"].get<std::string>().find("HTTP 400"), std::string::npos) << label;
      EXPECT_NE(label["error"].get<std::string>().find(cjk(66)), std::string::npos) << label;
    } else {
      EXPECT_EQ(label["text"], cjk(66)) << "cut at 198 bytes, before the character that crosses 200";
    }
  }
  EXPECT_EQ(errors, 1);
  EXPECT_EQ(read_jsonl(dir / "run/stages/labels/checkpoint/labels.journal.jsonl").size(), 4u);
}

TEST(LlmLabelerSafety, AnEndpointEchoingTheKeyLeavesItInNoFileAndNoLog) {
  const std::string key = "sk-test-echoed-77c1";
  FakeLlmServer server([](const nlohmann::json&) { return "tokens of Arabic script."; });
  server.script({.status = 500, .echo_authorization = true});  // retried, and logged as a warning
  server.script({.status = 400, .echo_authorization = true});  // the first feature's error
  TempDir dir;
  const auto file = experiment(dir, server, "api_key_env = \"FAKE_KEY\"\nmax_attempts = 3\n");
  auto env = plugin_environment();
  env["FAKE_KEY"] = key;
  const auto result = run(file, env);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(server.last_authorization(), "Bearer " + key);
  EXPECT_NE(result.output.find("Authorization: Bearer [redacted]"), std::string::npos) << result.output;
  EXPECT_EQ(result.output.find(key), std::string::npos) << result.output;
  const auto labels = read_jsonl(dir / "run/stages/labels/labels.jsonl");
  ASSERT_EQ(labels.size(), 4u);
  EXPECT_NE(labels[0].value("error", "").find("Bearer [redacted]"), std::string::npos) << labels[0];
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir / "run"))
    if (entry.is_regular_file()) {
      ++files;
      EXPECT_EQ(read_text(entry.path()).find(key), std::string::npos) << entry.path();
    }
  EXPECT_TRUE(fs::exists(dir / "run/stages/labels/checkpoint/labels.journal.jsonl"));
  EXPECT_GT(files, 4) << "the journal, labels.jsonl and the answer cache were looked at";
}

TEST(LlmLabelerSafety, CtrlCDuringAnElevenDayRetryAfterStopsTheStageInSeconds) {
  FakeLlmServer server([](const nlohmann::json&) { return "tokens of Arabic script."; });
  server.script({.status = 429, .retry_after = "1000000"});
  TempDir dir;
  const auto file = experiment(dir, server);
  Process labelling({DICTLAB_BINARY, "run", file.string()}, plugin_environment(), dir / "labels.log");
  ASSERT_TRUE(wait_for([&] { return server.requests() >= 1; }, std::chrono::seconds(120))) << labelling.output();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // into the wait
  labelling.signal(SIGINT);
  const auto stopped = std::chrono::steady_clock::now();
  // The process must end by itself; if it does not, end it so the test fails rather than hangs.
  std::atomic<bool> ended{false};
  std::thread watchdog([&] {
    if (!wait_for([&] { return ended.load(); }, std::chrono::seconds(15))) labelling.signal(SIGKILL);
  });
  const int exit_code = labelling.wait();
  ended = true;
  watchdog.join();
  EXPECT_EQ(exit_code, 130) << labelling.output();
  EXPECT_LT(std::chrono::steady_clock::now() - stopped, std::chrono::seconds(5)) << labelling.output();
  EXPECT_EQ(server.requests(), 1);
}

}  // namespace
}  // namespace dictlab::testing

// The LLM chat client in process, against the fake OpenAI-compatible server:
// what reaches labels and logs from a hostile or odd endpoint (cut UTF-8,
// endless Retry-After, an echoed API key), and the pieces behind it.
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "chat_client.h"
#include "prompts.h"
#include "fake_llm_server.h"
#include "retry_wait.h"
#include "secret_redaction.h"
#include "test_support.h"
#include "utf8_text.h"
#include "worker_threads.h"

namespace dictlab::testing {
namespace {

using namespace std::chrono_literals;

// Keeps every line, for checking what would have reached stderr.
class RecordingLogger : public dictlab::Logger {
 public:
  void info(std::string_view message) override { add(message); }
  void warn(std::string_view message) override { add(message); }
  std::string text() const {
    std::lock_guard lock(mutex_);
    return text_;
  }

 private:
  void add(std::string_view message) {
    std::lock_guard lock(mutex_);
    text_ += std::string(message) + "\n";
  }
  mutable std::mutex mutex_;
  std::string text_;
};

// One CJK character is 3 bytes, so 200 bytes of them end inside the 67th.
std::string cjk(int characters) {
  std::string text;
  for (int i = 0; i < characters; ++i) text += "\xe7\xa5\x9e";  // 神
  return text;
}

bool serialisable(const std::string& text) {
  try {
    (void)nlohmann::json(text).dump();  // throws on invalid UTF-8, as a journal line would
    return true;
  } catch (const nlohmann::json::exception&) {
    return false;
  }
}

std::string explain(const nlohmann::json&) { return "tokens of Arabic script."; }

llm_client::ChatOptions options_for(const FakeLlmServer& server) {
  llm_client::ChatOptions options;
  options.endpoint = server.endpoint();
  options.model = "fake-llm";
  options.timeout = 5s;
  options.max_attempts = 3;
  options.first_backoff = 10ms;
  return options;
}

const std::vector<llm_client::ChatMessage> kQuestion = {{"user", "What does feature 7 do?"}};

TEST(Utf8Prefix, NeverEndsInsideACharacter) {
  EXPECT_EQ(llm_client::utf8_prefix(cjk(100), 200), cjk(66));
  EXPECT_EQ(llm_client::utf8_prefix(cjk(100), 201), cjk(67));
  EXPECT_EQ(llm_client::utf8_prefix("abc", 200), "abc");
  EXPECT_EQ(llm_client::utf8_prefix("a\xc3\xa9", 2), "a");  // é is 2 bytes
}

TEST(DumpModelText, WritesInvalidUtf8AsReplacementCharacters) {
  const nlohmann::json line = {{"text", cjk(2).substr(0, 4)}};
  EXPECT_EQ(llm_client::dump_model_text(line), "{\"text\":\"" + cjk(1) + "\xef\xbf\xbd\"}");
}

TEST(ExplanationFromAnswer, ALongOneLineCjkAnswerIsCutOnACharacterBoundary) {
  const std::string label = llm_client::explanation_from_answer(cjk(100));
  EXPECT_TRUE(serialisable(label)) << "cut inside a character: " << label.size() << " bytes";
  EXPECT_EQ(label, cjk(66));
}

// Qwen2.5's answer 'find the word "淮".' was once cut to 'the word "淮'.
TEST(ExplanationFromAnswer, KeepsQuotesInsideTheLabelAndDropsThoseAroundIt) {
  EXPECT_EQ(llm_client::explanation_from_answer("find the word \"淮\"."), "find the word \"淮\"");
  EXPECT_EQ(llm_client::explanation_from_answer("\"construct\" or \"use\" in code."), "\"construct\" or \"use\" in code");
  EXPECT_EQ(llm_client::explanation_from_answer("\"years and dates.\""), "years and dates");
  EXPECT_EQ(llm_client::explanation_from_answer("  \"dates in history"), "dates in history");
  EXPECT_EQ(llm_client::explanation_from_answer("the main thing this neuron does is find: **years**."), "years");
  EXPECT_EQ(llm_client::explanation_from_answer("\"\""), "");
}

TEST(ChatClient, AnErrorBodyCutAtTheQuoteLimitStaysValidUtf8) {
  FakeLlmServer server(explain);
  server.script({.status = 400, .raw_body = cjk(100)});
  RecordingLogger log;
  llm_client::ChatClient client(options_for(server), log);
  const auto result = client.complete(kQuestion);
  ASSERT_FALSE(result.content);
  EXPECT_NE(result.error.find("HTTP 400"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find(cjk(66)), std::string::npos) << "the start of the body is quoted";
  EXPECT_TRUE(serialisable(result.error)) << result.error;
}

TEST(ChatClient, AnAnswerThatCannotBeCachedIsStillReturned) {
  FakeLlmServer server(explain);
  TempDir dir;
  auto options = options_for(server);
  options.cache_dir = dir / "llm_cache";
  RecordingLogger log;
  llm_client::ChatClient client(options, log);
  std::filesystem::remove(options.cache_dir);
  write_text(options.cache_dir, "a file where the cache folder was");  // every cache write now fails
  llm_client::ChatResult result;
  ASSERT_NO_THROW(result = client.complete(kQuestion)) << "a worker thread would have ended the process";
  EXPECT_EQ(result.content, "tokens of Arabic script.");
  EXPECT_NE(log.text().find("could not cache an LLM answer"), std::string::npos) << log.text();
}

const llm_client::AnswerFormat kLabelFormat{
    "label", {{"type", "object"}, {"properties", {{"explanation", {{"type", "string"}}}}}, {"required", {"explanation"}}}};

TEST(ChatClient, AFormatGoesAsResponseFormatAndTheJsonAnswerIsRead) {
  std::mutex mutex;
  nlohmann::json seen;
  FakeLlmServer server([&](const nlohmann::json& request) {
    std::lock_guard lock(mutex);
    seen = request;
    return std::string(R"({"explanation": "Arabic script"})");
  });
  RecordingLogger log;
  llm_client::ChatClient client(options_for(server), log);
  const auto result = client.complete(kQuestion, {}, {}, kLabelFormat);
  ASSERT_TRUE(result.content) << result.error;
  EXPECT_EQ(llm_client::json_string(*result.content, "explanation"), "Arabic script");
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen["response_format"]["type"], "json_schema");
  EXPECT_EQ(seen["response_format"]["json_schema"]["schema"], kLabelFormat.schema);
}

TEST(ChatClient, AnEndpointThatRefusesResponseFormatIsAskedForFreeTextFromThenOn) {
  std::atomic<int> with_format{0};
  FakeLlmServer server([&](const nlohmann::json& request) {
    with_format += request.contains("response_format");
    return std::string("tokens of Arabic script.");
  });
  server.script({.status = 400, .raw_body = R"({"error": {"message": "Unrecognized request argument supplied: response_format"}})"});
  RecordingLogger log;
  auto options = options_for(server);
  options.max_attempts = 1;  // the refusal must not count as the one attempt
  llm_client::ChatClient client(options, log);
  auto result = client.complete(kQuestion, {}, {}, kLabelFormat);
  EXPECT_EQ(result.content, "tokens of Arabic script.") << result.error;
  result = client.complete(kQuestion, {}, {}, kLabelFormat);
  EXPECT_EQ(result.content, "tokens of Arabic script.") << result.error;
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(with_format, 0) << "after the refusal, no request carries response_format";
  EXPECT_NE(log.text().find("refuses response_format"), std::string::npos) << log.text();
}

TEST(JsonAnswer, ReadsAnObjectInsideAFenceAndRefusesTextOrACutAnswer) {
  EXPECT_EQ(llm_client::json_string("```json\n{\"explanation\": \"dates\"}\n```", "explanation"), "dates");
  EXPECT_FALSE(llm_client::json_answer("years and dates"));
  EXPECT_FALSE(llm_client::json_answer("{\"explanation\": \"dates"));
  EXPECT_FALSE(llm_client::json_string("{\"explanation\": 3}", "explanation"));
}

dictlab::FeatureEvidence evidence_with_intervals() {
  dictlab::FeatureEvidence f;
  f.max_activation = 4.0;
  auto example = [](std::string token, float activation) {
    return dictlab::ActivationExample{activation, 1, {"in", token}, {0.0f, activation}};
  };
  f.top_examples = {example(" 1066", 4.0f), example(" 1492", 3.0f)};
  f.intervals = {{0.0, 1.0, {example(" May", 0.6f)}},
                 {1.0, 2.0, {}},
                 {2.0, 3.0, {example(" spring", 2.4f)}},
                 {3.0, 4.0, {example(" 1066", 4.0f)}}};
  f.near_misses = {example(" 1066", 0.0f), example(" 1066", 0.0f)};
  f.near_misses[1].tokens = {" page", " 1066"};
  f.near_misses[1].activations = {1.0f, 0.0f};
  f.positive_logits = {{",", 0.5f}, {"\n", 0.4f}, {" AD", 0.3f}};
  return f;
}

TEST(ExplanationPrompt, WithNothingAddedItIsBillsEtAlsPromptOfTheTopExamples) {
  const auto messages = llm_client::explanation_prompt(evidence_with_intervals(), {.top_examples = 2, .weaker_examples = 0, .near_misses = 0, .next_tokens = 0});
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].content,
            "Neuron 1\nActivations:\n<start>\nin\t0\n 1066\t10\n<end>\n\n<start>\nin\t0\n 1492\t8\n<end>\n\n"
            "Explanation of neuron 1 behavior: the main thing this neuron does is find");
}

TEST(ExplanationPrompt, ShowsWeakerExamplesFromLowerIntervalsAndTheNextTokensItPromotes) {
  const auto messages = llm_client::explanation_prompt(evidence_with_intervals(), {.top_examples = 1, .weaker_examples = 2, .near_misses = 0, .next_tokens = 2});
  const std::string& user = messages[1].content;
  const auto weaker = user.find("Weaker activations of the same neuron:\n");
  ASSERT_NE(weaker, std::string::npos) << user;
  // The top interval is left out (the top examples show it); the two others, weakest first, scaled to the max.
  EXPECT_NE(user.find("<start>\nin\t0\n May\t2\n<end>\n\n<start>\nin\t0\n spring\t6\n<end>", weaker), std::string::npos) << user;
  EXPECT_NE(user.find("Tokens this neuron makes more likely to come next: \",\", \"\\n\"\n"), std::string::npos) << user;
  EXPECT_EQ(user.find("AD"), std::string::npos) << "only next_tokens of them";
  EXPECT_TRUE(user.ends_with("the main thing this neuron does is find"));
}

TEST(ExplanationPrompt, ShowsNearMissesWhereTheTopTokenAppearsAndTheNeuronIsSilent) {
  const auto messages = llm_client::explanation_prompt(evidence_with_intervals(), {.top_examples = 1, .weaker_examples = 0, .near_misses = 1, .next_tokens = 0});
  const std::string& user = messages[1].content;
  const auto near = user.find("The same token where this neuron stays silent (activation 0 on it):\n");
  ASSERT_NE(near, std::string::npos) << user;
  EXPECT_NE(user.find("<start>\nin\t0\n 1066\t0\n<end>\n\n", near), std::string::npos) << user;
  EXPECT_EQ(user.find(" page"), std::string::npos) << "only near_misses of them";
  EXPECT_TRUE(user.ends_with("the main thing this neuron does is find"));
}

TEST(RetryAfter, ReadsSecondsAndHttpDatesAndIgnoresTheRest) {
  const auto now = std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(llm_client::parse_retry_after("120", now), 120s);
  EXPECT_EQ(llm_client::parse_retry_after(" 0 ", now), 0s);
  EXPECT_EQ(llm_client::parse_retry_after("Wed, 21 Oct 2015 07:30:00 GMT", now), 120s);
  EXPECT_EQ(llm_client::parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), 0s) << "a date already past";
  for (const char* junk : {"", "-5", "1.5", "1e400", "soon", "99999999999999999999999"})
    EXPECT_FALSE(llm_client::parse_retry_after(junk, now)) << junk;
}

TEST(RetryWait, IsCappedWhateverTheEndpointAsks) {
  const auto now = std::chrono::system_clock::from_time_t(1445412480);
  const auto cap = llm_client::kMaxRetryWait;
  EXPECT_EQ(cap, 60s);
  EXPECT_EQ(llm_client::retry_wait(500ms, 100ms, "1000000", cap, now), cap) << "11 days asked";
  EXPECT_EQ(llm_client::retry_wait(500ms, 100ms, "Fri, 01 Jan 2100 00:00:00 GMT", cap, now), cap);
  EXPECT_EQ(llm_client::retry_wait(500ms, 100ms, "2", cap, now), 2s) << "Retry-After wins when longer";
  EXPECT_EQ(llm_client::retry_wait(500ms, 100ms, "0", cap, now), 600ms) << "the backoff when longer";
  EXPECT_EQ(llm_client::retry_wait(500ms, 100ms, "Sun, 06 Nov", cap, now), 600ms) << "an unreadable header";
  EXPECT_EQ(llm_client::retry_wait(1h, 0ms, "", cap, now), cap) << "a backoff doubled many times";
}

// Runs `f` on a thread of its own and waits at most `limit` for it: a
// client that sleeps for days fails the test instead of hanging it (the
// thread is then abandoned, owning what it uses).
template <typename F>
std::optional<llm_client::ChatResult> within(std::chrono::seconds limit, F f) {
  std::packaged_task<llm_client::ChatResult()> task(std::move(f));
  auto future = task.get_future();
  std::thread(std::move(task)).detach();
  if (future.wait_for(limit) != std::future_status::ready) return std::nullopt;
  return future.get();
}

TEST(ChatClient, AStopEndsAnElevenDayRetryAfterWithinSeconds) {
  auto server = std::make_shared<FakeLlmServer>(explain);
  server->script({.status = 429, .retry_after = "1000000"});
  auto log = std::make_shared<RecordingLogger>();
  auto client = std::make_shared<llm_client::ChatClient>(options_for(*server), *log);
  const auto start = std::chrono::steady_clock::now();
  const auto result = within(10s, [server, log, client, start] {
    return client->complete(kQuestion, {}, [start] { return std::chrono::steady_clock::now() - start > 500ms; });
  });
  ASSERT_TRUE(result) << "still waiting 10 s after the stop request";
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(result->error, "stopped");
  EXPECT_FALSE(result->content);
  EXPECT_LT(took, 2s);
  EXPECT_EQ(server->requests(), 1);
}

TEST(ChatClient, AStopCutsShortARequestTheModelIsSlowToAnswer) {
  FakeLlmServer server(explain);
  server.script({.content = "slow answer.", .delay = 1500ms});
  RecordingLogger log;
  llm_client::ChatClient client(options_for(server), log);  // a 5 s timeout
  const auto start = std::chrono::steady_clock::now();
  const auto result =
      client.complete(kQuestion, {}, [start] { return std::chrono::steady_clock::now() - start > 200ms; });
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms) << "waited for the answer";
  EXPECT_EQ(result.error, "stopped");
  EXPECT_FALSE(result.content);
}

TEST(ChatClient, AnEchoedApiKeyIsRedactedFromTheErrorAndTheLog) {
  const std::string key = "sk-test-secret-4f9a";
  FakeLlmServer server(explain);
  server.script({.status = 500, .echo_authorization = true});
  server.script({.status = 400, .echo_authorization = true});
  RecordingLogger log;
  auto options = options_for(server);
  options.api_key = key;
  llm_client::ChatClient client(options, log);
  const auto result = client.complete(kQuestion);
  ASSERT_FALSE(result.content);
  EXPECT_EQ(server.requests(), 2);
  EXPECT_EQ(server.last_authorization(), "Bearer " + key) << "the key is still sent";
  EXPECT_NE(result.error.find("HTTP 400"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("Bearer [redacted]"), std::string::npos) << result.error;
  EXPECT_EQ(result.error.find(key), std::string::npos) << result.error;
  EXPECT_NE(log.text().find("HTTP 500"), std::string::npos) << "the first failure is logged: " << log.text();
  EXPECT_EQ(log.text().find(key), std::string::npos) << log.text();
}

TEST(RedactSecret, ReplacesEveryFormOfTheKeyAndNothingElse) {
  EXPECT_EQ(llm_client::redact_secret("key sk-1, again sk-1.", "sk-1"), "key [redacted], again [redacted].");
  EXPECT_EQ(llm_client::redact_secret(R"({"m":"a\/b\"c"})", "a/b\"c"), R"({"m":"[redacted]"})");
  EXPECT_EQ(llm_client::redact_secret("no key here", ""), "no key here");
}

TEST(RunWorkerThreads, AnEscapingExceptionIsRethrownAfterEveryThreadFinished) {
  std::atomic<int> finished{0};
  std::atomic<bool> told{false};
  EXPECT_THROW(llm_client::run_worker_threads(
                   4,
                   [&] {
                     if (finished++ == 0) throw std::runtime_error("journal not writable");
                   },
                   [&] { told = true; }),
               std::runtime_error);
  EXPECT_EQ(finished, 4);
  EXPECT_TRUE(told);
}

}  // namespace
}  // namespace dictlab::testing

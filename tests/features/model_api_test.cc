// The model API of `dictlab serve` (host/src/model_api.h) over real HTTP on
// 127.0.0.1, against the toy run's real model and dictionary plugins: what
// fires and pinned generation agree with what the feature analysis itself
// computed (its browser/check.json, written by the plugins, not by the
// host), and the limits hold: request size, sampling ranges, one model call
// at a time with a bounded queue (503 + Retry-After), and a time limit (504).
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "http_support.h"
#include "model_api.h"
#include "plugin_registry.h"
#include "request_guard.h"
#include "tiny_site_run.h"

namespace dictlab::testing {
namespace {

using Clock = std::chrono::steady_clock;

// An httplib server with the model API (and the request guard, as serve has) on a free port.
class ApiServer {
 public:
  ApiServer(std::shared_ptr<host::ServedModel> served, std::shared_ptr<host::ModelGate> gate,
            host::ModelApiLimits limits, const std::string& load_error = "") {
    host::install_model_api(server_, std::move(served), load_error, std::move(gate), "", limits);
    port_ = server_.bind_to_any_port("127.0.0.1");
    host::install_request_guard(server_, "127.0.0.1", port_);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    wait_for([this] { return server_.is_running(); }, std::chrono::seconds(10));
  }
  ~ApiServer() {
    server_.stop();
    thread_.join();
  }
  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(120);
    return c;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
};

httplib::Result post(const ApiServer& server, const std::string& path, const nlohmann::json& body) {
  return server.client().Post(path, body.dump(), "application/json");
}

class ModelApi : public SharedRunSuite<ModelApi> {
 public:
  static std::filesystem::path write_experiment(const std::filesystem::path& dir) {
    return write_tiny_site_experiment(dir, "", small_dictionary_stages());
  }
  static void after_run(const std::filesystem::path& run_dir) {
    const auto registry = host::PluginRegistry::discover({DICTLAB_BUILD_PLUGIN_DIR});
    auto opened = host::ServedModel::open(run_dir, "features", registry);
    if (opened.ok()) served_ = std::move(*opened);
    else open_error_ = std::string(opened.status().message());
    // The toy itself, as the reference's tokenizer.
    auto instance = registry.find("toy_transformer")->instantiate();
    if (!instance.ok()) return;
    toy_instance_ = std::make_shared<host::PluginInstance>(std::move(*instance));
    toy_ = static_cast<Model*>(&toy_instance_->get());
    toy_->load(run_dir / "stages/model", "cpu");
  }
  static void TearDownTestSuite() {
    served_.reset();
    toy_ = nullptr;
    toy_instance_.reset();
    SharedRunSuite::TearDownTestSuite();
  }
  void SetUp() override {
    SharedRunSuite::SetUp();
    ASSERT_TRUE(served_) << open_error_;
    ASSERT_TRUE(toy_);
  }
  static nlohmann::json check() {
    return nlohmann::json::parse(read_text(run() / "stages/features/browser/check.json"));
  }

  static inline std::shared_ptr<host::ServedModel> served_;
  static inline std::string open_error_;
  static inline std::shared_ptr<host::PluginInstance> toy_instance_;
  static inline Model* toy_ = nullptr;
};

TEST_F(ModelApi, SaysWhichModelDictionaryAndHookItRuns) {
  ApiServer server(served_, std::make_shared<host::ModelGate>(), {});
  const auto response = server.client().Get("/api/model");
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body;
  const auto info = nlohmann::json::parse(response->body);
  EXPECT_EQ(info["model"], "model");
  EXPECT_EQ(info["plugin"], "toy_transformer");
  EXPECT_EQ(info["dictionary"], "sae");
  EXPECT_EQ(info["hook"], "blocks.0.mlp.hook_post");  // the toy's default, which the sae stage took
  EXPECT_EQ(info["d_sae"], 128);                       // d_sae of the experiment
  EXPECT_EQ(info["generates"], true);
  EXPECT_EQ(info["limits"]["max_new_tokens"], 128);
}

TEST_F(ModelApi, WhatFiresHereIsWhatTheFeatureAnalysisComputed) {
  ApiServer server(served_, std::make_shared<host::ModelGate>(), {});
  // check.json's tokens: the first 8 of browser_check's first text.
  const auto ids = check()["features"]["ids"].get<std::vector<std::int32_t>>();
  const std::string text = toy_->decode(ids);
  ASSERT_EQ(toy_->encode(text), ids) << "the text must encode back to check.json's tokens";
  const auto response = post(server, "/api/activations", {{"text", text}, {"top_n", 32}});
  ASSERT_TRUE(response);
  ASSERT_EQ(response->status, 200) << response->body;
  const auto answer = nlohmann::json::parse(response->body);
  EXPECT_FALSE(answer["truncated"]);
  std::string joined;
  for (const auto& token : answer["tokens"]) joined += token["token"].get<std::string>();
  EXPECT_EQ(joined, text);  // display strings of ASCII text are its pieces
  // check.json: every active feature at the first 8 tokens (the TopK dictionary has k = 8, under top_n).
  const auto expected = check()["features"]["values"];
  ASSERT_EQ(answer["tokens"].size(), expected.size());
  for (std::size_t r = 0; r < expected.size(); ++r) {
    std::map<std::int64_t, float> want, got;
    for (const auto& pair : expected[r]) want[pair[0].get<std::int64_t>()] = pair[1].get<float>();
    float previous = INFINITY;
    for (const auto& pair : answer["tokens"][r]["features"]) {
      got[pair[0].get<std::int64_t>()] = pair[1].get<float>();
      EXPECT_LE(pair[1].get<float>(), previous) << "token " << r << ": not highest first";
      previous = pair[1].get<float>();
    }
    ASSERT_EQ(got.size(), want.size()) << "token " << r;
    for (const auto& [feature, activation] : want) {
      ASSERT_TRUE(got.contains(feature)) << "token " << r << " feature " << feature;
      EXPECT_NEAR(got[feature], activation, 1e-4f * std::max(1.0f, activation));
    }
  }
}

TEST_F(ModelApi, ALongTextIsCutToItsLastContextLengthTokens) {
  ApiServer server(served_, std::make_shared<host::ModelGate>(), {});
  const std::int64_t context = toy_->shape().context_length;
  std::string text;
  for (int i = 0; i < 200; ++i) text += "the cat sat on the mat. ";
  const auto response = post(server, "/api/activations", {{"text", text}});
  ASSERT_EQ(response->status, 200) << response->body;
  const auto answer = nlohmann::json::parse(response->body);
  EXPECT_TRUE(answer["truncated"]);
  EXPECT_EQ(static_cast<std::int64_t>(answer["tokens"].size()), context);
  for (const auto& token : answer["tokens"]) EXPECT_LE(token["features"].size(), 10u);  // the default top_n
}

// Greedy, one token: the argmax of the last position's logits, which check.json
// holds plain and with its feature pinned (the plugin's own pin, at the hook).
TEST_F(ModelApi, PinnedGreedyTokenIsTheArgmaxOfThePluginsPinnedLogits) {
  ApiServer server(served_, std::make_shared<host::ModelGate>(), {});
  const auto reference = check();
  const auto ids = reference["logits"]["ids"].get<std::vector<std::int32_t>>();
  const std::string prompt = toy_->decode(ids);
  ASSERT_EQ(toy_->encode(prompt), ids) << "the prompt must encode back to check.json's tokens";
  auto greedy_text = [&](const nlohmann::json& rows) {
    const auto last = rows.back().get<std::vector<float>>();
    return toy_->decode({static_cast<std::int32_t>(std::max_element(last.begin(), last.end()) - last.begin())});
  };
  nlohmann::json request = {{"prompt", prompt}, {"max_new_tokens", 1}, {"temperature", 0}};
  const auto plain = post(server, "/api/generate", request);
  request["pins"] = {{{"feature", reference["pinned"]["feature"]}, {"value", reference["pinned"]["value"]}}};
  const auto pinned = post(server, "/api/generate", request);
  ASSERT_EQ(plain->status, 200) << plain->body;
  ASSERT_EQ(pinned->status, 200) << pinned->body;
  EXPECT_EQ(nlohmann::json::parse(plain->body)["text"], greedy_text(reference["logits"]["values"]));
  EXPECT_EQ(nlohmann::json::parse(pinned->body)["text"], greedy_text(reference["pinned"]["values"]));
}

// The reference's pin at max activation may not change the greedy token (in
// the fixture it does not); one far past it changes what the model writes.
TEST_F(ModelApi, AStrongPinChangesTheSample) {
  ApiServer server(served_, std::make_shared<host::ModelGate>(), {});
  const auto pinned = check()["pinned"];
  nlohmann::json request = {{"prompt", "the"}, {"max_new_tokens", 16}, {"temperature", 0}};
  const auto plain = post(server, "/api/generate", request);
  request["pins"] = {{{"feature", pinned["feature"]}, {"value", 50 * pinned["value"].get<double>()}}};
  const auto strong = post(server, "/api/generate", request);
  ASSERT_EQ(plain->status, 200) << plain->body;
  ASSERT_EQ(strong->status, 200) << strong->body;
  EXPECT_NE(nlohmann::json::parse(plain->body)["text"], nlohmann::json::parse(strong->body)["text"]);
}

TEST_F(ModelApi, SameSeedSameSample) {
  ApiServer server(served_, std::make_shared<host::ModelGate>(), {});
  const nlohmann::json request = {{"prompt", "the"}, {"max_new_tokens", 20}, {"temperature", 1.0}, {"seed", 7}};
  const auto first = post(server, "/api/generate", request), second = post(server, "/api/generate", request);
  ASSERT_EQ(first->status, 200) << first->body;
  EXPECT_EQ(first->body.substr(0, first->body.find("tokens_per_second")),
            second->body.substr(0, second->body.find("tokens_per_second")));
}

TEST_F(ModelApi, RefusesWhatIsTooBigOrMalformed) {
  ApiServer server(served_, std::make_shared<host::ModelGate>(), {});
  auto status = [&](const std::string& path, const nlohmann::json& body) {
    const auto response = post(server, path, body);
    return response ? response->status : -1;
  };
  EXPECT_EQ(status("/api/activations", {{"text", std::string(9000, 'a')}}), 413);
  EXPECT_EQ(status("/api/activations", {{"txt", "a"}}), 400);
  EXPECT_EQ(status("/api/activations", {{"text", "a"}, {"top_n", 1000}}), 400);
  EXPECT_EQ(status("/api/generate", {{"prompt", "a"}, {"max_new_tokens", 129}}), 400);
  EXPECT_EQ(status("/api/generate", {{"prompt", "a"}, {"max_new_tokens", 2.5}}), 400);
  EXPECT_EQ(status("/api/generate", {{"prompt", "a"}, {"temperature", -1}}), 400);
  EXPECT_EQ(status("/api/generate", {{"prompt", "a"}, {"seed", -1}}), 400);
  EXPECT_EQ(status("/api/generate", {{"prompt", "a"}, {"pins", {{{"feature", 128}, {"value", 1}}}}}), 400);
  EXPECT_EQ(status("/api/generate", {{"prompt", "a"}, {"pins", nlohmann::json::array({{{"value", 1}}})}}), 400);
  nlohmann::json many = nlohmann::json::array();
  for (int i = 0; i < 9; ++i) many.push_back({{"feature", i}, {"value", 1}});
  EXPECT_EQ(status("/api/generate", {{"prompt", "a"}, {"pins", many}}), 400);
  const auto not_json = server.client().Post("/api/generate", "prompt=a", "application/x-www-form-urlencoded");
  EXPECT_EQ(not_json->status, 415);
  httplib::Headers foreign = {{"Origin", "http://evil.example"}};
  EXPECT_EQ(server.client().Post("/api/generate", foreign, R"({"prompt":"a"})", "application/json")->status, 403);
}

TEST_F(ModelApi, OneCallAtATimeAndABoundedQueue) {
  auto gate = std::make_shared<host::ModelGate>();
  host::ModelApiLimits limits;
  limits.max_waiting = 1;
  limits.queue_wait = std::chrono::milliseconds(300);
  ApiServer server(served_, gate, limits);
  const nlohmann::json request = {{"prompt", "the"}, {"max_new_tokens", 2}};
  std::unique_lock held(gate->running);  // a model call in progress
  // One may wait its turn, for queue_wait; then it gives up with 503 and Retry-After.
  const auto started = Clock::now();
  std::atomic<int> waited = 0;  // the waiting request's status
  auto wait_in_line = [&] {
    const auto response = post(server, "/api/generate", request);
    waited = response ? response->status : -1;
  };
  std::thread waiter(wait_in_line);
  ASSERT_TRUE(wait_for([&] { return gate->waiting.load() == 1; }, std::chrono::seconds(10)));
  // A second one finds the queue full and is refused at once.
  const auto refused = post(server, "/api/generate", request);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503) << refused->body;
  EXPECT_EQ(refused->get_header_value("Retry-After"), "5");
  waiter.join();
  EXPECT_EQ(waited, 503);
  EXPECT_GE(Clock::now() - started, limits.queue_wait);
  // Once the call ends, a waiting request runs.
  std::thread later(wait_in_line);
  ASSERT_TRUE(wait_for([&] { return gate->waiting.load() == 1; }, std::chrono::seconds(10)));
  held.unlock();
  later.join();
  EXPECT_EQ(waited, 200);
}

TEST_F(ModelApi, AGenerationOverItsTimeStopsWith504) {
  host::ModelApiLimits limits;
  limits.request_timeout = std::chrono::milliseconds(0);
  ApiServer server(served_, std::make_shared<host::ModelGate>(), limits);
  const auto response = post(server, "/api/generate", {{"prompt", "the"}, {"max_new_tokens", 64}});
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 504) << response->body;
  // The model is usable afterwards.
  ApiServer fresh(served_, std::make_shared<host::ModelGate>(), {});
  EXPECT_EQ(post(fresh, "/api/generate", {{"prompt", "the"}, {"max_new_tokens", 4}})->status, 200);
}

TEST_F(ModelApi, WithoutAModelItSaysWhy) {
  ApiServer server(nullptr, std::make_shared<host::ModelGate>(), {}, "the plugin is missing");
  const auto info = server.client().Get("/api/model");
  EXPECT_EQ(info->status, 503);
  EXPECT_EQ(nlohmann::json::parse(info->body)["error"], "the plugin is missing");
  EXPECT_EQ(post(server, "/api/generate", {{"prompt", "a"}})->status, 503);
  const auto registry = host::PluginRegistry::discover({DICTLAB_BUILD_PLUGIN_DIR});
  const auto missing = host::ServedModel::open(run(), "no_such_stage", registry);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no_such_stage"), std::string::npos) << missing.status();
}

// `dictlab serve` itself: the API beside the site, for a toy run too.
TEST_F(ModelApi, ServeOffersTheApiBesideTheSite) {
  Process serve({DICTLAB_BINARY, "serve", run().string(), "--stage", "features", "--port", "0"}, plugin_environment(),
                dir_->path() / "serve-model.log");
  const int port = served_port(serve, std::chrono::seconds(60));
  ASSERT_NE(port, 0) << serve.output();
  httplib::Client client("127.0.0.1", port);
  const auto info = client.Get("/api/model");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->status, 200) << info->body << serve.output();
  EXPECT_EQ(client.Get("/data/run.json")->status, 200);
  const auto fires = client.Post("/api/activations", R"({"text":"the cat"})", "application/json");
  EXPECT_EQ(fires->status, 200) << fires->body;
  serve.signal(SIGINT);
  EXPECT_EQ(serve.wait(), 0) << serve.output();
}

// Under --all each stage's site has its own API, beside its labelling API, with
// its own dictionary (of one model: loaded once, and one call at a time for both).
TEST_F(ModelApi, ServeAllOffersEachStagesApiInItsFolder) {
  Process serve({DICTLAB_BINARY, "serve", run().string(), "--all", "--port", "0", "--force"}, plugin_environment(),
                dir_->path() / "serve-all.log");
  const int port = served_port(serve, std::chrono::seconds(60));
  ASSERT_NE(port, 0) << serve.output();
  httplib::Client client("127.0.0.1", port);
  const auto info = client.Get("/features/api/model");
  ASSERT_TRUE(info);
  EXPECT_EQ(info->status, 200) << info->body << serve.output();
  EXPECT_EQ(nlohmann::json::parse(info->body)["analysis_stage"], "features");
  EXPECT_EQ(nlohmann::json::parse(info->body)["d_sae"], 128);
  const auto small = client.Get("/features_small/api/model");
  ASSERT_TRUE(small);
  EXPECT_EQ(small->status, 200) << small->body;
  EXPECT_EQ(nlohmann::json::parse(small->body)["dictionary"], "sae_small");
  EXPECT_EQ(nlohmann::json::parse(small->body)["d_sae"], 64);
  const auto fires =
      client.Post("/features_small/api/activations", R"({"text":"the cat","top_n":32})", "application/json");
  ASSERT_EQ(fires->status, 200) << fires->body;
  for (const auto& token : nlohmann::json::parse(fires->body)["tokens"])
    for (const auto& pair : token["features"]) EXPECT_LT(pair[0].get<int>(), 64);
  EXPECT_EQ(client.Get("/api/model")->status, 404);
  serve.signal(SIGINT);
  EXPECT_EQ(serve.wait(), 0) << serve.output();
}

}  // namespace
}  // namespace dictlab::testing

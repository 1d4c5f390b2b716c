#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <fstream>
#include <memory>

#include "dictlab/feature_store.h"
#include "http_support.h"
#include "tiny_site_run.h"

namespace dictlab::testing {
namespace {

nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

// One tiny run (model, TopK dictionary, analysis) shared by the tests below.
class FeatureBrowser : public SharedRunSuite<FeatureBrowser> {
 public:
  static std::filesystem::path write_experiment(const std::filesystem::path& dir) {
    return write_tiny_site_experiment(dir);
  }
};

TEST_F(FeatureBrowser, StoreAgreesWithItself) {
  auto store = FeatureStore::open(run() / "stages/features/features.sqlite");
  ASSERT_EQ(store.size(), 128);
  const double tokens = store.meta("tokens_analysed").get<double>();
  EXPECT_GT(tokens, 0);
  int alive = 0;
  for (std::int64_t id = 0; id < 128; ++id) {
    const auto e = store.evidence(id);
    std::int64_t fired = 0;
    for (auto count : e.histogram) fired += count;
    EXPECT_NEAR(e.density, static_cast<double>(fired) / tokens, 1e-9) << "feature " << id;
    if (e.top_examples.empty()) continue;
    ++alive;
    EXPECT_FLOAT_EQ(e.top_examples.front().activation, static_cast<float>(e.max_activation));
    for (std::size_t i = 1; i < e.top_examples.size(); ++i)
      EXPECT_GE(e.top_examples[i - 1].activation, e.top_examples[i].activation);
    for (const auto& example : e.top_examples) {
      ASSERT_EQ(example.tokens.size(), example.activations.size());
      EXPECT_FLOAT_EQ(example.activations[static_cast<std::size_t>(example.focus)], example.activation);
    }
    for (const auto& interval : e.intervals)
      for (const auto& example : interval.examples) {
        EXPECT_GE(example.activation, interval.low * 0.9999);
        EXPECT_LE(example.activation, interval.high * 1.0001);
      }
    EXPECT_EQ(e.positive_logits.size(), 10u);
  }
  EXPECT_GT(alive, 64) << "most features of a TopK dictionary fire";
  store.for_each_summary([](const FeatureSummary& s) {
    EXPECT_GE(s.x, 0.0);
    EXPECT_LE(s.x, 1.0);
    EXPECT_GE(s.y, 0.0);
    EXPECT_LE(s.y, 1.0);
  });
}

TEST_F(FeatureBrowser, ExportWritesTheDataTheSiteReads) {
  const auto out = dir_->path() / "site";
  const auto result = run_command({DICTLAB_BINARY, "export", run().string(), "--out", out.string(), "--shard-size", "50"});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto manifest = read_json(out / "data/run.json");
  EXPECT_EQ(manifest["n_features"], 128);
  EXPECT_EQ(manifest["shard_size"], 50);
  EXPECT_EQ(std::filesystem::file_size(out / "data/index.bin"), 4u * 128 * sizeof(float));
  std::int64_t features = 0;
  for (const char* shard : {"00000.json", "00001.json", "00002.json"}) {
    const auto json = read_json(out / "data/features" / shard);
    for (const auto& feature : json) EXPECT_EQ(feature["id"], features++);
  }
  EXPECT_EQ(features, 128);
  EXPECT_EQ(read_json(out / "data/search.json")["tokens"].size(), 128u);
  for (const char* file : {"model/model.safetensors", "model/sae.safetensors", "model/check.json"})
    EXPECT_TRUE(std::filesystem::exists(out / "data" / file)) << file;
  const auto check = read_json(out / "data/model/check.json");
  EXPECT_EQ(check["logits"]["values"].size(), check["logits"]["ids"].size());
  EXPECT_EQ(check["logits"]["values"][0].size(), 400u);  // the tiny vocabulary
  EXPECT_NE(check["pinned"]["values"], check["logits"]["values"]);
}

TEST_F(FeatureBrowser, ExportSaysWhatIsMissing) {
  const auto not_a_run = run_command({DICTLAB_BINARY, "export", dir_->path().string()});
  EXPECT_EQ(not_a_run.exit_code, 2);
  EXPECT_NE(not_a_run.output.find("is not a run directory"), std::string::npos) << not_a_run.output;
  const auto wrong_stage = run_command({DICTLAB_BINARY, "export", run().string(), "--stage", "sae"});
  EXPECT_EQ(wrong_stage.exit_code, 2);
  EXPECT_NE(wrong_stage.output.find("no finished analysis stage 'sae'"), std::string::npos) << wrong_stage.output;
}

TEST_F(FeatureBrowser, ServeAnswersOnLoopbackAndStopsOnCtrlC) {
  Process serve({DICTLAB_BINARY, "serve", run().string(), "--port", "0"}, {}, dir_->path() / "serve.log");
  const int port = served_port(serve, std::chrono::seconds(60));
  ASSERT_NE(port, 0) << serve.output();
  httplib::Client client("127.0.0.1", port);
  const auto response = client.Get("/data/run.json");
  ASSERT_TRUE(response) << "no answer";
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(nlohmann::json::parse(response->body)["n_features"], 128);
  EXPECT_EQ(client.Get("/data/features/99999.json")->status, 404);
  serve.signal(SIGINT);
  EXPECT_EQ(serve.wait(), 0) << serve.output();
}

}  // namespace
}  // namespace dictlab::testing

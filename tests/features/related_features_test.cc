// `dictlab export` / `serve` with related features: a tiny real run with two
// dictionaries of one model (sae, sae_small), each analysed, and relation
// stages as the universality and feature_splitting evaluators leave them
// (tiny_site_run.h, write_relation_stages); the exported feature JSON must
// carry each feature's twins, parents and children with links between the
// two sites, and a malformed relation file must stop the export cleanly.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "http_support.h"
#include "tiny_site_run.h"

namespace dictlab::testing {
namespace {

nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

// Feature `id` of an exported site (shards of 64, the default).
nlohmann::json exported_feature(const std::filesystem::path& site, std::int64_t id) {
  char shard[32];
  std::snprintf(shard, sizeof shard, "%05lld.json", static_cast<long long>(id / 64));
  for (const auto& feature : read_json(site / "data/features" / shard))
    if (feature["id"] == id) return feature;
  return nullptr;
}

// A number as the export writes it: 4 significant digits.
double rounded(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return std::strtod(text, nullptr);
}

nlohmann::json twin(const std::string& dictionary, const std::string& model, std::int64_t feature, double correlation,
                    const std::string& direction, const std::string& source) {
  return {{"dictionary", dictionary}, {"model", model},  {"feature", feature}, {"correlation", rounded(correlation)},
          {"direction", direction},   {"href", nullptr}, {"source", source}};
}

nlohmann::json split(const std::string& dictionary, std::int64_t feature, double correlation, double cosine,
                     const std::string& site) {
  return {{"dictionary", dictionary},
          {"model", "model"},
          {"feature", feature},
          {"correlation", rounded(correlation)},
          {"cosine", rounded(cosine)},
          {"href", "../" + site + "/#/feature/" + std::to_string(feature)},
          {"source", "splitting"}};
}

class RelatedFeatures : public SharedRunSuite<RelatedFeatures> {
 public:
  static std::filesystem::path write_experiment(const std::filesystem::path& dir) {
    return write_tiny_site_experiment(dir, "", small_dictionary_stages());
  }
  static void after_run(const std::filesystem::path& run_dir) { write_relation_stages(run_dir); }
};

TEST_F(RelatedFeatures, ExportAllLinksTwinsParentsAndChildren) {
  const auto out = dir_->path() / "all";
  const auto result = run_command({DICTLAB_BINARY, "export", run().string(), "--all", "--out", out.string()});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const std::string index = read_text(out / "index.html");
  EXPECT_NE(index.find("href=\"features/\""), std::string::npos) << index;
  EXPECT_NE(index.find("href=\"features_small/\""), std::string::npos) << index;
  EXPECT_EQ(read_json(out / "features/data/run.json")["dictionary_stage"], "sae");
  EXPECT_EQ(read_json(out / "features_small/data/run.json")["dictionary_stage"], "sae_small");
  const auto big = out / "features", small = out / "features_small";

  // sae #0: its twin in model_b's sae_b (no analysis of sae_b: no link), the
  // feature of sae_b it is the best match of, and its parent in sae_small
  // (linked); nothing from the stopped stage splitting_rerun (parent #60).
  EXPECT_EQ(exported_feature(big, 0)["related"],
            (nlohmann::json{{"twins",
                             {twin("sae_b", "model_b", 11, 0.91, "best_match", "universality"),
                              twin("sae_b", "model_b", 30, 0.7, "best_match_of", "universality_ba")}},
                            {"parents", {split("sae_small", 3, 0.6, 0.5, "features_small")}},
                            {"children", nlohmann::json::array()}}));
  EXPECT_EQ(exported_feature(big, 1)["related"],
            (nlohmann::json{{"twins", {twin("sae_b", "model_b", 12, 0.42, "best_match", "universality")}},
                            {"parents", {split("sae_small", 3, 0.8, 0.7, "features_small")}},
                            {"children", nlohmann::json::array()}}));

  // sae #2 is the best match of 25 features of sae_b: the 20 strongest are listed.
  const auto two = exported_feature(big, 2)["related"];
  ASSERT_EQ(two["twins"].size(), 20u) << two.dump();
  for (std::size_t i = 0; i < 20; ++i) {
    const std::int64_t unit = 24 - static_cast<std::int64_t>(i);
    EXPECT_EQ(two["twins"][i], twin("sae_b", "model_b", unit, 0.5 + 0.01 * static_cast<double>(unit), "best_match_of",
                                    "universality_ba"))
        << i;
  }
  EXPECT_EQ(two["more_twins"], (nlohmann::json{{"sae_b", 5}}));
  EXPECT_FALSE(exported_feature(big, 5).contains("related")) << "a feature with no relation has no related field";
  EXPECT_EQ(exported_feature(big, 10)["related"]["parents"],
            (nlohmann::json{split("sae_small", 7, 0.3, 0.2, "features_small")}));

  // The other way: sae_small's features link down to their children in sae.
  EXPECT_EQ(exported_feature(small, 3)["related"],
            (nlohmann::json{{"twins", nlohmann::json::array()},
                            {"parents", nlohmann::json::array()},
                            {"children", {split("sae", 1, 0.8, 0.7, "features"), split("sae", 0, 0.6, 0.5, "features")}}}));
  const auto seven = exported_feature(small, 7)["related"];
  ASSERT_EQ(seven["children"].size(), 20u) << seven.dump();
  EXPECT_EQ(seven["children"][0], split("sae", 34, 0.54, 0.2, "features"));
  EXPECT_EQ(seven["children"][19], split("sae", 15, 0.35, 0.2, "features"));
  EXPECT_EQ(seven["more_children"], (nlohmann::json{{"sae", 5}}));
  EXPECT_FALSE(exported_feature(small, 60).contains("related")) << "splitting_rerun has no manifest: ignored";

  // A single-stage export writes the same links (to sibling folders).
  const auto single = dir_->path() / "single";
  const auto one = run_command({DICTLAB_BINARY, "export", run().string(), "--stage", "features", "--out", single.string()});
  ASSERT_EQ(one.exit_code, 0) << one.output;
  EXPECT_EQ(exported_feature(single, 0), exported_feature(big, 0));
  EXPECT_FALSE(std::filesystem::exists(single / "features")) << "a single-stage export is one site";

  // Without --stage, a run with two analysis stages points at --all.
  const auto ambiguous = run_command({DICTLAB_BINARY, "export", run().string(), "--out", single.string()});
  EXPECT_EQ(ambiguous.exit_code, 2);
  EXPECT_NE(ambiguous.output.find("--all"), std::string::npos) << ambiguous.output;
}

TEST_F(RelatedFeatures, MalformedRelationFileStopsTheExportAndNamesIt) {
  const auto out = dir_->path() / "site";
  ASSERT_EQ(run_command({DICTLAB_BINARY, "export", run().string(), "--all", "--out", out.string()}).exit_code, 0);
  const std::string before = read_text(out / "features/data/features/00000.json");
  const auto broken = run() / "stages/broken";
  std::filesystem::create_directories(broken);
  write_finished_manifest(broken, "feature_splitting");
  struct Case {
    const char* file;
    std::string text, expected;
  };
  const std::vector<Case> cases = {
      {"splitting.json", "{\"model\": \"model\", \"links\": [", "not valid JSON"},
      {"splitting.json", R"({"model": "model", "links": [{"parent_dictionary": 5, "child_dictionary": "sae", "pairs": []}]})",
       "links[0].parent_dictionary is not a stage name"},
      {"splitting.json",
       R"({"model": "model", "links": [{"parent_dictionary": "sae_small", "child_dictionary": "sae", "pairs": [{"child": -1, "parent": 3, "correlation": 0.5, "cosine": 0.5}]}]})",
       "links[0].pairs[0].child is not a feature id"},
      {"twins.json",
       R"({"model_a": "model", "dictionary_a": "sae", "model_b": "m", "dictionary_b": "x", "features": [{"unit": 500, "twin": 1, "correlation": 0.5}]})",
       "features[0].unit is 500, not a feature of sae (it has 128)"},
      {"twins.json", R"({"model_a": "model", "dictionary_a": "sae", "model_b": "m", "dictionary_b": "x"})",
       "the top level has no \"features\""},
  };
  for (const auto& c : cases) {
    std::filesystem::remove(broken / "twins.json");
    std::filesystem::remove(broken / "splitting.json");
    write_text(broken / c.file, c.text);
    const auto result = run_command({DICTLAB_BINARY, "export", run().string(), "--all", "--out", out.string()});
    EXPECT_EQ(result.exit_code, 2) << c.text << "\n" << result.output;
    EXPECT_NE(result.output.find((broken / c.file).string() + ": " + c.expected), std::string::npos)
        << c.text << "\n" << result.output;
    EXPECT_NE(result.output.find("--force broken"), std::string::npos) << result.output;
  }
  // The previous export is untouched, and nothing half-written is left beside it.
  EXPECT_EQ(read_text(out / "features/data/features/00000.json"), before);
  for (const auto& entry : std::filesystem::directory_iterator(dir_->path()))
    EXPECT_EQ(entry.path().filename().string().find("site.tmp-"), std::string::npos) << entry.path();

  // The same file in a stage that has not finished (no manifest) is ignored.
  std::filesystem::remove(broken / "manifest.json");
  const auto result = run_command({DICTLAB_BINARY, "export", run().string(), "--all", "--out", out.string()});
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST_F(RelatedFeatures, ServeAllServesEverySiteWithItsOwnLabelling) {
  Process serve({DICTLAB_BINARY, "serve", run().string(), "--all", "--port", "0"}, {}, dir_->path() / "serve.log");
  const int port = served_port(serve, std::chrono::seconds(60));
  ASSERT_NE(port, 0) << serve.output();
  httplib::Client client("127.0.0.1", port);
  const auto index = client.Get("/");
  ASSERT_TRUE(index) << "no answer";
  EXPECT_NE(index->body.find("href=\"features_small/\""), std::string::npos) << index->body;
  const auto shard = client.Get("/features_small/data/features/00000.json");
  ASSERT_TRUE(shard && shard->status == 200);
  EXPECT_EQ(nlohmann::json::parse(shard->body)[3]["related"]["children"][0]["href"], "../features/#/feature/1");
  for (const char* stage : {"features", "features_small"}) {
    const auto status = client.Get(std::string("/") + stage + "/api/status");
    ASSERT_TRUE(status && status->status == 200) << stage;
    EXPECT_EQ(nlohmann::json::parse(status->body)["analysis_stage"], stage);
  }
  // A label saved through one site's API belongs to that stage only.
  const auto posted = client.Post("/features_small/api/labels",
                                  R"({"feature": 3, "author": "ada", "text": "splits into two"})", "application/json");
  ASSERT_TRUE(posted);
  EXPECT_EQ(posted->status, 201) << posted->body;
  EXPECT_EQ(nlohmann::json::parse(client.Get("/features_small/api/labels?feature=3")->body)["labels"].size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(client.Get("/features/api/labels?feature=3")->body)["labels"].size(), 0u);
  serve.signal(SIGINT);
  EXPECT_EQ(serve.wait(), 0) << serve.output();
}

}  // namespace
}  // namespace dictlab::testing

#include "site_export.h"

#include <gtest/gtest.h>

#include <fstream>

#include "dictlab/label_store.h"
#include "dictlab/sqlite.h"
#include "site_folder.h"
#include "synthetic_analysis.h"
#include "test_support.h"

namespace dictlab::host {
namespace {

namespace fs = std::filesystem;

struct ExportFixture {
  testing::TempDir dir;
  SiteExportOptions options;
  ExportFixture() {
    testing::write_synthetic_analysis(dir / "run", "features", 5);
    options.run_dir = dir / "run";
    options.stage = "features";
    options.out = dir / "site";
  }
};

TEST(SiteExport, RefusesToReplaceAFolderItDidNotWriteAndKeepsItsFiles) {
  ExportFixture f;
  testing::write_text(f.dir / "site/thesis.tex", "three years of work\n");
  const absl::Status status = export_site(f.options);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find((f.dir / "site").string()), std::string::npos) << status;
  EXPECT_NE(status.message().find("--force"), std::string::npos) << status;
  EXPECT_EQ(testing::read_text(f.dir / "site/thesis.tex"), "three years of work\n");
  EXPECT_FALSE(fs::exists(f.dir / "site/data/run.json"));
}

TEST(SiteExport, ReplacesItsOwnEarlierExportAnEmptyFolderOrAnyFolderWhenForced) {
  ExportFixture f;
  fs::create_directories(f.dir / "site");
  ASSERT_TRUE(export_site(f.options).ok());
  EXPECT_TRUE(fs::exists(f.dir / "site" / kSiteMarkerFile));
  testing::write_text(f.dir / "site/stale.txt", "from the last export\n");
  ASSERT_TRUE(export_site(f.options).ok());
  EXPECT_FALSE(fs::exists(f.dir / "site/stale.txt"));

  // An export written before the marker existed is still recognised.
  fs::remove(f.dir / "site" / kSiteMarkerFile);
  EXPECT_TRUE(export_site(f.options).ok());

  testing::write_text(f.dir / "other/notes.txt", "mine\n");
  f.options.out = f.dir / "other";
  f.options.force = true;
  ASSERT_TRUE(export_site(f.options).ok());
  EXPECT_FALSE(fs::exists(f.dir / "other/notes.txt"));
  EXPECT_TRUE(fs::exists(f.dir / "other/data/run.json"));
}

TEST(SiteExport, AFeatureIdOutsideTheStoreIsAnErrorNamingTheFile) {
  for (const std::int64_t bad_id : {std::int64_t{5}, std::int64_t{-3}, std::int64_t{1} << 40}) {
    ExportFixture f;
    const auto store = f.dir / "run/stages/features" / FeatureStore::kFileName;
    SqliteDatabase(store, SqliteDatabase::Mode::kReadWrite)
        .prepare("UPDATE features SET id = ? WHERE id = 2")
        .bind(1, bad_id)
        .run();
    const absl::Status status = export_site(f.options);
    EXPECT_FALSE(status.ok());
    EXPECT_NE(status.message().find(store.string()), std::string::npos) << status;
    // Ids past the end sort last, so the gap they leave is found first.
    const std::string says = bad_id < 0 ? "feature id -3 is out of range" : "no feature 2";
    EXPECT_NE(status.message().find(says), std::string::npos) << status;
  }
}

TEST(SiteExport, AnImpossibleFeatureCountIsAnErrorNotAnAllocation) {
  ExportFixture f;
  const auto store = f.dir / "run/stages/features" / FeatureStore::kFileName;
  SqliteDatabase(store, SqliteDatabase::Mode::kReadWrite)
      .prepare("UPDATE meta SET value = '1e18' WHERE key = 'n_features'")
      .run();
  const absl::Status status = export_site(f.options);
  EXPECT_NE(status.message().find("n_features"), std::string::npos) << status;
}

nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

// A labeler stage's labels, a person's label and two scoring stages, one of
// them with a scorer the export has never heard of: every score of every
// label reaches the shards and labels.json.
TEST(SiteExport, ExportsEveryScoreOfEveryLabel) {
  ExportFixture f;
  const auto stages = f.dir / "run/stages";
  testing::write_text(stages / "labels_llm/labels_summary.json", R"({"analysis_stage": "features"})");
  testing::write_text(stages / "labels_llm/labels.jsonl",
                      R"({"feature": 1, "labeler": "llm", "author": "m", "text": "digits", "rubric": null})" "\n"
                      R"({"feature": 2, "labeler": "llm", "author": "m", "text": "", "rubric": null, "error": "x"})" "\n"
                      R"({"feature": 99, "labeler": "llm", "author": "m", "text": "out of range", "rubric": null})" "\n");
  LabelStore(f.dir / "run" / LabelStore::kFileName).put("features", {.feature = 1, .author = "ada", .text = "numbers", .rubric = 3});
  testing::write_text(
      stages / "scores/scores.jsonl",
      R"({"labeler_stage": "labels_llm", "labeler": "llm", "author": "m", "feature": 1, "text": "digits", "simulation": null, "detection": 0.625})" "\n"
      R"({"labeler_stage": "labels_human", "labeler": "human", "author": "ada", "feature": 1, "text": "numbers", "simulation": 0.5, "detection": 0.75})" "\n"
      R"({"labeler_stage": "other_llm", "labeler": "llm", "author": "m", "feature": 1, "text": "digits", "detection": 0.1})" "\n"
      // A shuffled-labels control that lent ada's label of another feature to this one.
      R"({"labeler_stage": "labels_human:shuffled", "labeler": "human", "author": "ada", "feature": 1, "text": "numbers", "control": "shuffled", "label_feature": 4, "detection": 0.0})" "\n");
  testing::write_text(stages / "scores_embedding/scores.jsonl",
                      R"({"labeler_stage": "labels_llm", "labeler": "llm", "author": "m", "feature": 1, "text": "digits", "embedding": 0.8125})" "\n");
  ASSERT_TRUE(export_site(f.options).ok());

  const auto labels = read_json(f.dir / "site/data/labels.json");
  EXPECT_EQ(labels["format"], "dictlab.labels/1");
  EXPECT_EQ(labels["scorers"], nlohmann::json({"detection", "embedding", "simulation"}));
  ASSERT_EQ(labels["features"].size(), 1u) << labels;  // no failed label, no feature outside the store
  const auto& feature = labels["features"][0];
  EXPECT_EQ(feature["feature"], 1);
  ASSERT_EQ(feature["labels"].size(), 2u);
  const auto& llm = feature["labels"][0];
  EXPECT_EQ(llm["labeler_stage"], "labels_llm");
  EXPECT_EQ(llm["text"], "digits");
  EXPECT_EQ(llm["scores"], nlohmann::json({{"detection", 0.625}, {"embedding", 0.8125}}))
      << "a null score is no score; another stage's label of the same text is not this one";
  const auto& ada = feature["labels"][1];
  EXPECT_TRUE(ada["labeler_stage"].is_null());
  EXPECT_EQ(ada["author"], "ada");
  EXPECT_EQ(ada["rubric"], 3);
  EXPECT_EQ(ada["scores"], nlohmann::json({{"detection", 0.75}, {"simulation", 0.5}})) << "controls score no label";

  const auto shard = read_json(f.dir / "site/data/features/00000.json");
  EXPECT_EQ(shard[1]["labels"][0]["scores"], llm["scores"]);
  EXPECT_FALSE(shard[1]["labels"][0].contains("score_kind"));
  EXPECT_EQ(shard[0]["labels"], nlohmann::json::array());
}

TEST(SiteExport, WithoutLabelsLabelsJsonIsEmpty) {
  ExportFixture f;
  ASSERT_TRUE(export_site(f.options).ok());
  const auto labels = read_json(f.dir / "site/data/labels.json");
  EXPECT_EQ(labels["scorers"], nlohmann::json::array());
  EXPECT_EQ(labels["features"], nlohmann::json::array());
}

}  // namespace
}  // namespace dictlab::host

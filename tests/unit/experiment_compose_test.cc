// Experiment files composed from others (include) and stages written once
// for many values (sweep).
#include <gtest/gtest.h>

#include <set>

#include "experiment.h"
#include "option_validation.h"
#include "test_support.h"

namespace dictlab::host {
namespace {

namespace fs = std::filesystem;

const char* kBase = R"([experiment]
name = "base"
run_dir = "runs/shared"
seed = 5

[[stage]]
name = "corpus"
plugin = "text_files"
paths = ["texts"]
)";

absl::StatusOr<Experiment> read(const testing::TempDir& dir, const std::string& main) {
  testing::write_text(dir / "base.toml", kBase);
  testing::write_text(dir / "main.toml", main);
  return read_experiment(dir / "main.toml");
}

std::string error_of(const testing::TempDir& dir, const std::string& main) {
  auto result = read(dir, main);
  EXPECT_FALSE(result.ok());
  return std::string(result.status().message());
}

TEST(ExperimentInclude, IncludedStagesComeFirstAndKeepTheirOwnFileAndLine) {
  testing::TempDir dir;
  auto e = read(dir, "include = [\"base.toml\"]\n\n[[stage]]\nname = \"stats\"\nplugin = \"corpus_stats\"\n"
                     "inputs = [\"corpus\"]\n");
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->stages.size(), 2u);
  EXPECT_EQ(e->stages[0].name.value, "corpus");
  EXPECT_EQ(e->stages[0].options.at("paths").position.file, (dir / "base.toml").string());
  EXPECT_EQ(e->stages[0].options.at("paths").position.line, 9);
  EXPECT_EQ(e->stages[1].name.position.file, (dir / "main.toml").string());
  // [experiment] keys come from the included file unless written here; the name is this file's own.
  EXPECT_EQ(e->run_dir.value, "runs/shared");
  EXPECT_EQ(e->seed, 5u);
  EXPECT_EQ(e->name.value, "main");
}

TEST(ExperimentInclude, TheIncludingFileWinsKeyByKey) {
  testing::TempDir dir;
  auto e = read(dir, "include = [\"base.toml\"]\n\n[experiment]\nname = \"mine\"\nseed = 9\n");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->name.value, "mine");
  EXPECT_EQ(e->seed, 9u);
  EXPECT_EQ(e->run_dir.value, "runs/shared");
  EXPECT_EQ(e->run_dir.position.file, (dir / "base.toml").string());
}

TEST(ExperimentInclude, AFileIncludedTwiceCountsOnceAndACycleIsAnError) {
  testing::TempDir dir;
  testing::write_text(dir / "left.toml", "include = [\"base.toml\"]\n");
  testing::write_text(dir / "right.toml", "include = [\"base.toml\"]\n");
  auto e = read(dir, "include = [\"left.toml\", \"right.toml\"]\n");
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->stages.size(), 1u);

  testing::write_text(dir / "loop.toml", "include = [\"main.toml\"]\n");
  const std::string cycle = error_of(dir, "include = [\"loop.toml\"]\n");
  EXPECT_NE(cycle.find("loop.toml:1:12: include cycle"), std::string::npos) << cycle;
}

TEST(ExperimentInclude, ErrorsNameTheFileAndLineWhereTheKeyIsWritten) {
  testing::TempDir dir;
  const std::string missing = error_of(dir, "include = [\"nope.toml\"]\n");
  EXPECT_NE(missing.find("main.toml:1:12: cannot read included file"), std::string::npos) << missing;
  EXPECT_NE(missing.find("nope.toml"), std::string::npos) << missing;

  testing::write_text(dir / "broken.toml", "[experiment]\nsede = 3\n");
  const std::string typo = error_of(dir, "include = [\"broken.toml\"]\n[[stage]]\nname = \"a\"\nplugin = \"p\"\n");
  EXPECT_NE(typo.find("broken.toml:2:1"), std::string::npos) << typo;
  EXPECT_NE(typo.find("did you mean 'seed'?"), std::string::npos) << typo;

  const std::string twice = error_of(dir, "include = [\"base.toml\"]\n\n[[stage]]\nname = \"corpus\"\nplugin = \"x\"\n");
  EXPECT_NE(twice.find("main.toml:4:8: stage name 'corpus' is already used at " + (dir / "base.toml").string() + ":7"),
            std::string::npos) << twice;
}

TEST(StageSweep, ATableOfListsStandsForEveryCombinationWithTypedValues) {
  testing::TempDir dir;
  auto e = read(dir, R"(include = ["base.toml"]

[[stage]]
name = "sae_{size}_{l1}"
plugin = "sae_l1"
inputs = ["corpus"]
d_sae = "{size}"
l1_coefficient = "{l1}"
note = "size {size}, {unknown} kept as written"
sweep.size = [512, 1024]
sweep.l1 = [0.5, 0.25]
)");
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->stages.size(), 5u);
  std::vector<std::string> names;
  for (const auto& stage : e->stages) names.push_back(stage.name.value);
  EXPECT_EQ(names, (std::vector<std::string>{"corpus", "sae_512_0.5", "sae_512_0.25", "sae_1024_0.5", "sae_1024_0.25"}));
  const StageSpec& last = e->stages.back();
  EXPECT_EQ(std::get<std::int64_t>(last.options.at("d_sae").value), 1024);
  EXPECT_EQ(std::get<double>(last.options.at("l1_coefficient").value), 0.25);
  EXPECT_EQ(std::get<std::string>(last.options.at("note").value), "size 1024, {unknown} kept as written");
  EXPECT_EQ(last.options.at("d_sae").position.line, 7);
  EXPECT_EQ(last.options.count("sweep"), 0u);
}

TEST(StageSweep, AListOfTablesGivesThePointsThemselves) {
  testing::TempDir dir;
  auto e = read(dir, R"(include = ["base.toml"]

[[stage]]
name = "sae_{size}"
plugin = "sae_l1"
inputs = ["corpus"]
d_sae = "{size}"
l1_coefficient = "{l1}"
sweep = [{size = 512, l1 = 0.5}, {size = 2048, l1 = 0.125}]

[[stage]]
name = "metrics_{size}"
plugin = "sae_metrics"
inputs = ["sae_{size}"]
sweep.size = [512, 2048]
)");
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->stages.size(), 5u);
  EXPECT_EQ(e->stages[2].name.value, "sae_2048");
  EXPECT_EQ(std::get<double>(e->stages[2].options.at("l1_coefficient").value), 0.125);
  EXPECT_EQ(e->stages[4].inputs.value, std::vector<std::string>{"sae_2048"});
}

TEST(StageSweep, MistakesAreReportedAtTheirKey) {
  testing::TempDir dir;
  const std::string unknown = error_of(dir, "include = [\"base.toml\"]\n[[stage]]\nname = \"sae_{szie}\"\n"
                                            "plugin = \"p\"\nsweep.size = [1, 2]\n");
  EXPECT_NE(unknown.find("main.toml:3:8: {szie} names no sweep variable; did you mean {size}?"), std::string::npos)
      << unknown;
  const std::string empty = error_of(dir, "[[stage]]\nname = \"s{n}\"\nplugin = \"p\"\nsweep.n = []\n");
  EXPECT_NE(empty.find("main.toml:4:"), std::string::npos) << empty;
  EXPECT_NE(empty.find("sweep variable 'n' must be a non-empty list"), std::string::npos) << empty;
  const std::string same = error_of(dir, "[[stage]]\nname = \"s\"\nplugin = \"p\"\nsweep.n = [1, 2]\n");
  EXPECT_NE(same.find("stage name 's' is already used"), std::string::npos) << same;
}

// The point of include: experiments sharing a run directory define each
// shared stage in one place, so no two copies can drift apart.
TEST(ShippedExperiments, EveryStageOfASharedRunDirectoryIsDefinedInOnePlace) {
  std::map<std::string, std::map<std::string, std::string>> where;  // run_dir -> stage -> file:line
  for (const auto& entry : fs::directory_iterator(fs::path(DICTLAB_SOURCE_DIR) / "experiments")) {
    if (entry.path().extension() != ".toml") continue;
    auto e = read_experiment(entry.path());
    ASSERT_TRUE(e.ok()) << e.status();
    for (const auto& stage : e->stages) {
      const std::string at = stage.position.file + ":" + std::to_string(stage.position.line);
      const auto [it, inserted] = where[e->run_dir.value].emplace(stage.name.value, at);
      EXPECT_EQ(it->second, at) << "stage " << stage.name.value << " of " << e->run_dir.value << " is written twice";
    }
  }
  EXPECT_GE(where["runs/model_a"].size(), 30u);
}

}  // namespace
}  // namespace dictlab::host

#include <gtest/gtest.h>

#include "experiment.h"
#include "test_support.h"

namespace dictlab::host {
namespace {

absl::StatusOr<Experiment> parse(const testing::TempDir& dir, const std::string& text) {
  testing::write_text(dir / "exp.toml", text);
  return read_experiment(dir / "exp.toml");
}

std::string error_of(const testing::TempDir& dir, const std::string& text) {
  auto result = parse(dir, text);
  EXPECT_FALSE(result.ok());
  return std::string(result.status().message());
}

}  // namespace

TEST(ExperimentFile, ReadsStagesInOrderWithDefaults) {
  testing::TempDir dir;
  auto experiment = parse(dir, R"([experiment]
seed = 7

[[stage]]
name = "corpus"
plugin = "text_files"
paths = ["a", "b"]

[[stage]]
name = "stats"
plugin = "corpus_stats"
inputs = ["corpus"]
)");
  ASSERT_TRUE(experiment.ok()) << experiment.status();
  EXPECT_EQ(experiment->name.value, "exp");
  EXPECT_EQ(experiment->run_dir.value, "runs/exp");
  EXPECT_EQ(experiment->seed, 7u);
  EXPECT_EQ(experiment->metrics_port.value, 0);
  ASSERT_EQ(experiment->stages.size(), 2u);
  EXPECT_EQ(experiment->stages[0].name.value, "corpus");
  EXPECT_EQ(experiment->stages[0].options.at("paths").position.line, 7);
  EXPECT_EQ(experiment->stages[1].inputs.value, std::vector<std::string>{"corpus"});
  EXPECT_EQ(experiment->stages[1].options.size(), 0u);
}

TEST(ExperimentFile, MalformedTomlGivesFileLineAndColumn) {
  testing::TempDir dir;
  const std::string message = error_of(dir, "[experiment]\nname = \"x\"\nseed = = 3\n");
  EXPECT_EQ(message.rfind((dir / "exp.toml").string() + ":3:", 0), 0u) << message;
  EXPECT_NE(message.find("invalid TOML"), std::string::npos) << message;
}

TEST(ExperimentFile, UnknownKeysInHostTablesAreErrorsWithSuggestions) {
  testing::TempDir dir;
  const std::string message = error_of(dir, "[experiment]\nsed = 3\n[metrix]\nport = 1\n");
  EXPECT_NE(message.find("exp.toml:2:1: unknown key 'sed' in [experiment]; did you mean 'seed'?"), std::string::npos)
      << message;
  EXPECT_NE(message.find("exp.toml:3:2: unknown top-level key 'metrix'; did you mean 'metrics'?"), std::string::npos)
      << message;
}

TEST(ExperimentFile, HostTableValuesOutOfRangeNameTheirPositions) {
  testing::TempDir dir;
  const std::string message =
      error_of(dir, "[experiment]\nseed = -3\n[metrics]\n  port = 70000\n[[stage]]\nname = \"a\"\nplugin = \"p\"\n");
  EXPECT_NE(message.find("exp.toml:2:1: key 'seed' in [experiment] must be at least 0, not -3"), std::string::npos)
      << message;
  EXPECT_NE(message.find("exp.toml:4:3: key 'port' in [metrics] must be between 0 and 65535, not 70000"),
            std::string::npos)
      << message;
}

TEST(ExperimentFile, StageNamesAndInputsAreChecked) {
  testing::TempDir dir;
  const std::string message = error_of(dir, R"([[stage]]
name = "a"
plugin = "p"

[[stage]]
name = "a"
plugin = "p"
inputs = ["b"]

[[stage]]
plugin = "p"
)");
  EXPECT_NE(message.find("exp.toml:6:8: stage name 'a' is already used at line 2"), std::string::npos) << message;
  EXPECT_NE(message.find("exp.toml:8:10: stage 'a' reads 'b', which is not an earlier stage"), std::string::npos)
      << message;
  EXPECT_NE(message.find("exp.toml:10:1: [[stage]] is missing required key 'name'"), std::string::npos) << message;
}

TEST(ExperimentFile, AStageSeedReplacesTheExperimentsAndIsNotAPluginOption) {
  testing::TempDir dir;
  auto experiment = parse(dir, "[experiment]\nseed = 1\n[[stage]]\nname = \"a\"\nplugin = \"p\"\n"
                               "[[stage]]\nname = \"b\"\nplugin = \"p\"\nseed = 2\n");
  ASSERT_TRUE(experiment.ok()) << experiment.status();
  EXPECT_FALSE(experiment->stages[0].seed.has_value());
  EXPECT_EQ(experiment->stages[1].seed, 2u);
  EXPECT_EQ(experiment->stages[1].options.count("seed"), 0u);
  EXPECT_NE(error_of(dir, "[[stage]]\nname = \"a\"\nplugin = \"p\"\nseed = -1\n")
                .find("exp.toml:4:8: key 'seed' must be a non-negative integer"),
            std::string::npos);
}

TEST(ExperimentFile, OnePassNamesAGroupAndIsNotAPluginOption) {
  testing::TempDir dir;
  auto experiment = parse(dir, "[[stage]]\nname = \"a\"\nplugin = \"p\"\none_pass = \"sizes\"\n"
                               "[[stage]]\nname = \"b\"\nplugin = \"p\"\n");
  ASSERT_TRUE(experiment.ok()) << experiment.status();
  ASSERT_TRUE(experiment->stages[0].one_pass.has_value());
  EXPECT_EQ(experiment->stages[0].one_pass->value, "sizes");
  EXPECT_EQ(experiment->stages[0].options.count("one_pass"), 0u);
  EXPECT_FALSE(experiment->stages[1].one_pass.has_value());
  EXPECT_NE(error_of(dir, "[[stage]]\nname = \"a\"\nplugin = \"p\"\none_pass = 3\n")
                .find("exp.toml:4:12: key 'one_pass' must name a group of stages"),
            std::string::npos);
}

TEST(ExperimentFile, AnExperimentNeedsAStage) {
  testing::TempDir dir;
  EXPECT_NE(error_of(dir, "[experiment]\nname = \"x\"\n").find("no [[stage]] tables"), std::string::npos);
}

}  // namespace dictlab::host

// A checkpoint folder with a file that only looks like a checkpoint record
// (a user's step-latest.json): named in a warning and left alone, where
// std::stoll stopped the run with "stoll".
#include "checkpoints.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace {

struct RecordingLogger : dictlab::Logger {
  void info(std::string_view) override {}
  void warn(std::string_view message) override { warnings.emplace_back(message); }
  std::vector<std::string> warnings;
};

TEST(CheckpointFolder, StrayStepFileIsNamedAndIgnored) {
  dictlab::testing::TempDir dir;
  RecordingLogger log;
  torch_training::TensorMap saved = {{"w", torch::arange(3, torch::kFloat)}};
  torch_training::Checkpoints(dir.path(), log).save(5, saved, nullptr);
  dictlab::testing::write_text(dir / "step-latest.json", "{\"step\": 5}\n");
  dictlab::testing::write_text(dir / "step-99999999999999999999.json", "{}\n");

  torch_training::TensorMap restored = {{"w", torch::zeros({3})}};
  EXPECT_EQ(torch_training::Checkpoints(dir.path(), log).restore_latest(restored, nullptr), 5);
  EXPECT_TRUE(torch::equal(restored["w"], saved["w"]));
  ASSERT_EQ(log.warnings.size(), 2u);
  for (const auto& warning : log.warnings)
    EXPECT_NE(warning.find("not a checkpoint record (step-<number>.json)"), std::string::npos) << warning;
  EXPECT_NO_THROW(torch_training::Checkpoints(dir.path(), log).save(6, saved, nullptr));
  EXPECT_TRUE(std::filesystem::exists(dir / "step-latest.json"));
}

}  // namespace

#include "runner.h"

#include <gtest/gtest.h>

#include <sstream>

#include "manifest.h"
#include "run_directory.h"
#include "runner_fixture.h"

namespace dictlab::host {

TEST(Runner, RunsStagesThenSkipsThemWhenNothingChanged) {
  RunnerFixture f;
  const Experiment e = f.experiment();
  std::string out = f.run(e);
  EXPECT_NE(out.find("stage corpus (text_files): done"), std::string::npos) << out;
  EXPECT_NE(out.find("1 documents, 12 bytes, from 1 source(s)"), std::string::npos) << out;
  EXPECT_EQ(testing::read_text(f.stage("count") / "count.txt"), "3\n");
  ASSERT_TRUE(read_manifest(f.stage("corpus")).has_value());
  EXPECT_FALSE(std::filesystem::exists(f.stage("corpus") / kPendingFile));

  out = f.run(e);
  EXPECT_NE(out.find("stage corpus (text_files): up to date, skipped"), std::string::npos) << out;
  EXPECT_NE(out.find("stage count (test_counter): up to date, skipped"), std::string::npos) << out;
}

TEST(Runner, ChangedOptionsRerunTheStageButNotItsUnchangedInputs) {
  RunnerFixture f;
  f.run(f.experiment());
  const std::string out = f.run(f.experiment("label = \"changed\"\n"));
  EXPECT_NE(out.find("stage corpus (text_files): up to date, skipped"), std::string::npos) << out;
  EXPECT_NE(out.find("stage count (test_counter): done"), std::string::npos) << out;
}

TEST(Runner, ChangedInputContentRerunsEveryStageThatReadsIt) {
  RunnerFixture f;
  const Experiment e = f.experiment();
  f.run(e);
  testing::write_text(f.dir / "texts/a.txt", "other words\n");
  const std::string out = f.run(e, {.force = {"corpus"}});
  EXPECT_NE(out.find("stage corpus (text_files): done"), std::string::npos) << out;
  EXPECT_NE(out.find("stage count (test_counter): done"), std::string::npos) << out;
}

TEST(Runner, ForceRedoesAStageAndKeepsDependentsWhoseInputsAreIdentical) {
  RunnerFixture f;
  const Experiment e = f.experiment();
  f.run(e);
  const std::string out = f.run(e, {.force = {"corpus"}});
  EXPECT_NE(out.find("stage corpus (text_files): done"), std::string::npos) << out;
  EXPECT_NE(out.find("stage count (test_counter): up to date, skipped"), std::string::npos) << out;
  f.run(e, {.force = {"nope"}}, absl::StatusCode::kInvalidArgument);
}

TEST(Runner, AFailingStageKeepsEarlierArtifactsAndSaysWhichStageFailed) {
  RunnerFixture f;
  const std::string out = f.run(f.experiment("fail_at_step = 1\n"), {}, absl::StatusCode::kAborted);
  EXPECT_NE(out.find("stage 'count' (plugin test_counter) failed: failing at step 1 as asked"), std::string::npos)
      << out;
  EXPECT_TRUE(read_manifest(f.stage("corpus")).has_value());
  EXPECT_FALSE(read_manifest(f.stage("count")).has_value());
  EXPECT_EQ(testing::read_text(f.stage("count") / "count.txt"), "1\n");  // what it finished stays

  // Fixed, the experiment goes on from the failed stage.
  const std::string again = f.run(f.experiment("fail_at_step = -1\n"));
  EXPECT_NE(again.find("stage corpus (text_files): up to date, skipped"), std::string::npos) << again;
  EXPECT_NE(again.find("stage count (test_counter): done"), std::string::npos) << again;
}

TEST(Runner, AnInterruptedStageResumesFromItsCheckpoint) {
  RunnerFixture f;
  const Experiment e = f.experiment();
  f.run(e);
  // Pretend a kill struck after step 2: no manifest, a pending marker, a checkpoint.
  const auto count = f.stage("count");
  const std::string digest = read_manifest(count)->config_digest;
  std::filesystem::remove(count / kManifestFile);
  write_pending_digest(count, digest);
  testing::write_text(count / "checkpoint/step.txt", "2");
  testing::write_text(count / "count.txt.tmp-999", "half-writ");

  const std::string out = f.run(e);
  EXPECT_NE(out.find("test_counter_resumed_from_step = 2"), std::string::npos) << out;
  EXPECT_FALSE(std::filesystem::exists(count / "count.txt.tmp-999"));
}

TEST(Runner, OptionErrorsFromAPluginNameTheKeyAndItsPosition) {
  RunnerFixture f;
  const std::string out = f.run(f.experiment("steps = -4\n"), {}, absl::StatusCode::kAborted);
  EXPECT_NE(out.find("exp.toml:14:1: key 'steps': must not be negative"), std::string::npos) << out;
}

TEST(Runner, DeclaredOptionConstraintsAreCheckedWithTheirPositionsBeforeAnyStage) {
  RunnerFixture f;
  const auto file = f.dir / "bad.toml";
  testing::write_text(file, "[[stage]]\nname = \"corpus\"\nplugin = \"text_files\"\npaths = [\"x\"]\n"
                            "  format = \"jsnol\"\nmax_line_bytes = 0\n");
  auto e = read_experiment(file);
  ASSERT_TRUE(e.ok()) << e.status();
  auto stages = validate_stages(*e, f.registry);
  ASSERT_FALSE(stages.ok());
  const std::string message(stages.status().message());
  const std::string table = "[[stage]] 'corpus' (plugin text_files)";
  EXPECT_NE(message.find(file.string() + ":5:3: key 'format' in " + table +
                         " must be one of \"auto\", \"text\", \"jsonl\", not \"jsnol\"; did you mean \"jsonl\"?"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find(file.string() + ":6:1: key 'max_line_bytes' in " + table + " must be at least 1, not 0"),
            std::string::npos)
      << message;
}

TEST(Runner, UnknownPluginListsTheKnownOnes) {
  RunnerFixture f;
  Experiment e = f.experiment();
  e.stages[1].plugin.value = "test_countr";
  auto stages = validate_stages(e, f.registry);
  ASSERT_FALSE(stages.ok());
  const std::string message(stages.status().message());
  EXPECT_NE(message.find("unknown plugin 'test_countr' in stage 'count'; did you mean 'test_counter'?"),
            std::string::npos) << message;
  EXPECT_NE(message.find("known plugins:"), std::string::npos) << message;
  EXPECT_NE(message.find("text_files"), std::string::npos) << message;
}

TEST(Runner, ARunDirectoryThatCannotBeWrittenIsRefusedBeforeAnyStage) {
  RunnerFixture f;
  Experiment e = f.experiment();
  testing::write_text(f.dir / "a-file", "x");
  const std::string out = f.run(e, {.run_dir = (f.dir / "a-file/run").string()}, absl::StatusCode::kPermissionDenied);
  EXPECT_NE(out.find("--run-dir: cannot create run directory"), std::string::npos) << out;
}

TEST(Runner, TwoRunsCannotShareARunDirectory) {
  RunnerFixture f;
  const Experiment e = f.experiment();
  auto held = RunDirectory::open(f.dir / "run");
  ASSERT_TRUE(held.ok());
  const std::string out = f.run(e, {}, absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(out.find("another dictlab run is using"), std::string::npos) << out;
}

}  // namespace dictlab::host

// A run writes and deletes only what dictlab wrote, and never silently
// invalidates finished stages of other experiments sharing its directory.
#include <gtest/gtest.h>

#include "manifest.h"
#include "run_directory.h"
#include "runner_fixture.h"

namespace dictlab::host {
namespace {

namespace fs = std::filesystem;

TEST(RunSafety, AFolderThatIsNotARunIsRefusedAndLeftAsItWas) {
  RunnerFixture f;
  const Experiment e = f.experiment();
  testing::write_text(f.dir / "run/experiment.toml", "my own notes\n");
  testing::write_text(f.dir / "run/stages/corpus/data.csv", "a,b\n");
  const std::string out = f.run(e, {}, absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(out.find("is a folder that dictlab did not create"), std::string::npos) << out;
  EXPECT_NE(out.find((f.dir / "run").string()), std::string::npos) << out;
  EXPECT_EQ(testing::read_text(f.dir / "run/experiment.toml"), "my own notes\n");
  EXPECT_EQ(testing::read_text(f.dir / "run/stages/corpus/data.csv"), "a,b\n");
  EXPECT_FALSE(fs::exists(f.dir / "run" / RunDirectory::kMarkerFile));
  EXPECT_FALSE(fs::exists(f.dir / "run/metrics.prom"));
}

TEST(RunSafety, NewEmptyAndEarlierRunFoldersAreAcceptedAndMarked) {
  RunnerFixture f;
  const Experiment e = f.experiment();
  fs::create_directories(f.dir / "run");
  f.run(e);
  EXPECT_TRUE(fs::exists(f.dir / "run" / RunDirectory::kMarkerFile));

  // A run made before the marker existed: run.lock beside stages/.
  fs::remove(f.dir / "run" / RunDirectory::kMarkerFile);
  const std::string out = f.run(e);
  EXPECT_NE(out.find("stage count (test_counter): up to date, skipped"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(f.dir / "run" / RunDirectory::kMarkerFile));
}

TEST(RunSafety, AStageFolderDictlabDidNotWriteIsNeverDeleted) {
  RunnerFixture f;
  const Experiment e = f.experiment();
  f.run(e);
  fs::remove_all(f.stage("count"));
  testing::write_text(f.stage("count") / "results.txt", "someone else's\n");
  const std::string out = f.run(e, {}, absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(out.find(f.stage("count").string() + " holds files dictlab did not write"), std::string::npos) << out;
  EXPECT_EQ(testing::read_text(f.stage("count") / "results.txt"), "someone else's\n");

  f.run(e, {.force = {"count"}}, absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(fs::exists(f.stage("count") / "results.txt"));
}

// base.toml: corpus -> count. reader.toml includes it and adds a stage that
// reads count: the two experiments share one run directory.
struct SharedRun : RunnerFixture {
  Experiment base(int steps) {
    testing::write_text(dir / "texts/a.txt", "hello world\n");
    testing::write_text(dir / "base.toml", "[experiment]\nrun_dir = \"" + (dir / "run").string() +
                                               "\"\n\n[[stage]]\nname = \"corpus\"\nplugin = \"text_files\"\n"
                                               "paths = [\"" + (dir / "texts").string() + "\"]\n\n"
                                               "[[stage]]\nname = \"count\"\nplugin = \"test_counter\"\n"
                                               "inputs = [\"corpus\"]\nsteps = " + std::to_string(steps) + "\n");
    return parsed(dir / "base.toml");
  }
  Experiment reader() {
    testing::write_text(dir / "reader.toml", "include = [\"base.toml\"]\n\n[[stage]]\nname = \"count_more\"\n"
                                                 "plugin = \"test_counter\"\ninputs = [\"count\"]\nsteps = 2\n");
    return parsed(dir / "reader.toml");
  }
  Experiment parsed(const fs::path& file) {
    auto experiment = read_experiment(file);
    EXPECT_TRUE(experiment.ok()) << experiment.status();
    return *experiment;
  }
};

TEST(RunSafety, RedoingAStageThatAnotherExperimentsFinishedStagesReadIsRefusedUntilForced) {
  SharedRun f;
  f.base(3);
  f.run(f.reader());
  ASSERT_TRUE(read_manifest(f.stage("count_more")).has_value());
  EXPECT_EQ(read_manifest(f.stage("count_more"))->inputs, std::vector<std::string>{"count"});

  const Experiment edited = f.base(4);
  const std::string out = f.run(edited, {}, absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(out.find("stage 'count', which finished stages of another experiment in"), std::string::npos) << out;
  EXPECT_NE(out.find("read: 'count_more'"), std::string::npos) << out;
  EXPECT_NE(out.find("--force count"), std::string::npos) << out;
  EXPECT_EQ(testing::read_text(f.stage("count") / "count.txt"), "3\n");  // nothing deleted

  // Running the experiment that holds the reader redoes both, consistently.
  const std::string consistent = f.run(f.reader());
  EXPECT_NE(consistent.find("stage count_more (test_counter): done"), std::string::npos) << consistent;

  f.run(f.base(5), {.force = {"count"}});
  EXPECT_EQ(testing::read_text(f.stage("count") / "count.txt"), "5\n");
}

}  // namespace
}  // namespace dictlab::host

// The dictlab executable as a user runs it: messages, exit codes, kills.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <thread>

#include "dictlab/abi.h"
#include "synthetic_analysis.h"
#include "test_support.h"

namespace dictlab::testing {
namespace {

const std::map<std::string, std::string> kEnv = {{"DICTLAB_PLUGIN_PATH", DICTLAB_TEST_PLUGIN_DIR}};

CommandResult dictlab(std::vector<std::string> args) {
  args.insert(args.begin(), DICTLAB_BINARY);
  return run_command(args, kEnv);
}

std::string counter_experiment(const TempDir& dir, const std::string& options) {
  const auto file = dir / "exp.toml";
  write_text(file, "[experiment]\nname = \"cli\"\nrun_dir = \"" + (dir / "run").string() +
                       "\"\n\n[[stage]]\nname = \"count\"\nplugin = \"test_counter\"\n" + options);
  return file.string();
}

void expect_contains(const CommandResult& result, const std::string& text) {
  EXPECT_NE(result.output.find(text), std::string::npos) << "expected «" << text << "» in:\n" << result.output;
}

}  // namespace

TEST(Cli, PluginsListsEveryPluginWithItsOptions) {
  const auto result = dictlab({"plugins"});
  EXPECT_EQ(result.exit_code, 0);
  expect_contains(result, "text_files (dataset, version 1.0.0)");
  expect_contains(result, "    paths (list of strings, required): Files or folders");
  expect_contains(result, "corpus_stats (evaluator, version 1.0.0)");
  expect_contains(result, "test_counter (evaluator, version 1.0.0)");
}

TEST(Cli, EveryShippedExperimentValidates) {
  int experiments = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(DICTLAB_SOURCE_DIR) + "/experiments")) {
    if (entry.path().extension() != ".toml") continue;  // the report's plots live beside the experiments
    const auto result = dictlab({"validate", entry.path().string()});
    EXPECT_EQ(result.exit_code, 0) << result.output;
    expect_contains(result, entry.path().filename().string() + ": ok,");
    ++experiments;
  }
  EXPECT_GE(experiments, 3);
}

TEST(Cli, BadExperimentsGiveFileLineColumnAndKeyWithExitCode2) {
  TempDir dir;
  const auto file = (dir / "exp.toml").string();
  struct Case {
    std::string toml;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"[[stage]]\nname = \"a\"\nplugin = \"test_counter\"\nsteps = \n",
       file + ":4:9: invalid TOML: Error while parsing key-value pair: expected value"},
      {"[[stage]]\nname = \"a\"\nplugin = \"test_counter\"\nstpes = 3\n",
       file + ":4:1: unknown key 'stpes' in [[stage]] 'a' (plugin test_counter); did you mean 'steps'?"},
      {"[[stage]]\nname = \"a\"\nplugin = \"test_counter\"\nsteps = \"3\"\n",
       file + ":4:1: key 'steps' in [[stage]] 'a' (plugin test_counter) must be an integer, not a string (\"3\")"},
      {"[[stage]]\nname = \"a\"\nplugin = \"text_files\"\n",
       file + ":1:1: [[stage]] 'a' (plugin text_files) is missing required key 'paths'"},
      {"[[stage]]\nname = \"a\"\nplugin = \"text_file\"\n",
       file + ":3:10: unknown plugin 'text_file' in stage 'a'; did you mean 'text_files'?\n  known plugins:"},
  };
  for (const auto& c : cases) {
    write_text(file, c.toml);
    const auto result = dictlab({"validate", file});
    EXPECT_EQ(result.exit_code, 2) << c.toml;
    expect_contains(result, "error: " + c.message);
  }
}

TEST(Cli, PluginsThatCannotLoadAreNamedWithTheReason) {
  TempDir dir;
  const auto file = (dir / "exp.toml").string();
  write_text(file, std::string("[experiment]\nplugin_paths = [\"") + DICTLAB_TEST_PLUGIN_DIR + "/other_abi\", \"" +
                       DICTLAB_TEST_PLUGIN_DIR + "/not_a_plugin\"]\n[[stage]]\nname = \"a\"\nplugin = \"nothing\"\n");
  const auto result = dictlab({"validate", file});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result, "not loaded: ");
  expect_contains(result, "libtest_other_abi.so: built against dictlab SDK ABI 99, but this dictlab speaks ABI " + std::to_string(DICTLAB_SDK_ABI_VERSION));
  expect_contains(result, "libnot_a_plugin.so: not a dictlab plugin");
}

TEST(Cli, AnUnwritableRunDirectoryIsNamedWithItsKey) {
  TempDir dir;
  write_text(dir / "a-file", "x");
  const auto file = (dir / "exp.toml").string();
  write_text(file, "[experiment]\nrun_dir = \"" + (dir / "a-file/run").string() +
                       "\"\n[[stage]]\nname = \"a\"\nplugin = \"test_counter\"\n");
  const auto result = dictlab({"run", file});
  EXPECT_EQ(result.exit_code, 2);
  expect_contains(result, file + ":2:1: cannot create run directory");
}

// SIGKILL can land anywhere, including inside a write. The next run must
// find no torn artifact and resume from the last checkpoint.
TEST(Cli, AStageKilledMidWriteResumesCleanly) {
  TempDir dir;
  const auto file = counter_experiment(dir, "steps = 60\nstep_seconds = 0.03\n");
  const auto count = dir / "run/stages/count/count.txt";
  {
    Process run({DICTLAB_BINARY, "run", file}, kEnv, dir / "first.log");
    wait_for([&] { return std::filesystem::exists(count) && std::stoi(read_text(count)) >= 10; },
             std::chrono::seconds(30));
    run.signal(SIGKILL);
    EXPECT_EQ(run.wait(), 128 + SIGKILL);
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "run/stages/count/manifest.json"));
  const int counted_before_kill = std::stoi(read_text(count));
  EXPECT_GE(counted_before_kill, 10);

  const auto result = dictlab({"run", file});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  const auto resumed = result.output.find("test_counter_resumed_from_step = ");
  ASSERT_NE(resumed, std::string::npos) << result.output;
  EXPECT_GE(std::stoi(result.output.substr(resumed + 33)), counted_before_kill - 1);
  EXPECT_EQ(read_text(count), "60\n");
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir / "run"))
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << entry.path();
}

TEST(Cli, CtrlCStopsAfterACheckpointAndTheNextRunResumes) {
  TempDir dir;
  const auto file = counter_experiment(dir, "steps = 400\nstep_seconds = 0.01\n");
  const auto count = dir / "run/stages/count/count.txt";
  Process run({DICTLAB_BINARY, "run", file}, kEnv, dir / "first.log");
  ASSERT_TRUE(wait_for([&] { return std::filesystem::exists(count); }, std::chrono::seconds(30)));
  run.signal(SIGINT);
  EXPECT_EQ(run.wait(), 130);
  EXPECT_NE(run.output().find("stopped during stage 'count'; run again to resume it"), std::string::npos)
      << run.output();

  const auto result = dictlab({"run", file});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  expect_contains(result, "test_counter_final_step = 400");
  EXPECT_EQ(result.output.find("test_counter_resumed_from_step = 0\n"), std::string::npos) << result.output;
}

}  // namespace dictlab::testing

namespace dictlab::testing {

TEST(Cli, ExportAndRunRefuseFoldersDictlabDidNotWriteWithExitCode2) {
  TempDir dir;
  write_synthetic_analysis(dir / "run", "features", 3);
  write_text(dir / "docs/index.html", "<h1>my page</h1>\n");
  const auto refused = dictlab({"export", (dir / "run").string(), "--out", (dir / "docs").string()});
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  expect_contains(refused, (dir / "docs").string() + " is a folder that dictlab did not write");
  expect_contains(refused, "--force");
  EXPECT_EQ(read_text(dir / "docs/index.html"), "<h1>my page</h1>\n");

  const auto forced = dictlab({"export", (dir / "run").string(), "--out", (dir / "docs").string(), "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "docs/data/run.json"));

  write_text(dir / "mine/notes.txt", "keep me\n");
  write_text(dir / "exp.toml", "[experiment]\nrun_dir = \"" + (dir / "mine").string() +
                                   "\"\n[[stage]]\nname = \"count\"\nplugin = \"test_counter\"\nsteps = 1\n");
  const auto run = dictlab({"run", (dir / "exp.toml").string()});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  expect_contains(run, "exp.toml:2:1: run directory " + (dir / "mine").string() + " is a folder that dictlab did not create");
  EXPECT_EQ(read_text(dir / "mine/notes.txt"), "keep me\n");
}

}  // namespace dictlab::testing

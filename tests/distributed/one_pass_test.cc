// Dictionaries trained in one pass (stages naming the same one_pass group):
// one plugin call trains them all on the same batches, and each equals the
// same stage trained alone, in one process and on two ranks; a member
// retrained alone afterwards equals its pass's; a stopped pass resumes every
// member; a group that cannot share a pass is refused at its key.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>

#include "loopback_runs.h"

namespace dictlab::testing {
namespace {

const std::string kTraining = "batch_size = 511\nsteps = 40\nlog_interval = 10\ncheckpoint_interval = 20\n";

std::string stage(const std::string& name, const std::string& plugin, const std::string& inputs,
                  const std::string& group, const std::string& options) {
  return "[[stage]]\nname = \"" + name + "\"\nplugin = \"" + plugin + "\"\ninputs = " + inputs + "\n" +
         (group.empty() ? "" : "one_pass = \"" + group + "\"\n") + options + "\n";
}

// Five architectures on the activation cache, of two sizes and two lengths
// (topk ends at step 30, before the others); two transcoders harvesting from
// the model. With `pass`, each kind of input is one group.
std::string dictionary_stages(bool pass) {
  const std::string cached = pass ? "cached" : "", harvested = pass ? "harvested" : "";
  const std::string cache = "[\"model\", \"tokens\", \"activations\"]", model = "[\"model\", \"tokens\"]";
  return stage("l1", "sae_l1", cache, cached, kTraining + "d_sae = 128\nl1_coefficient = 0.002\n") +
         stage("topk", "sae_topk", cache, cached,
               "batch_size = 511\nsteps = 30\nlog_interval = 10\ncheckpoint_interval = 20\nd_sae = 256\nk = 4\n"
               "dead_steps = 5\n") +
         stage("batchtopk", "sae_batchtopk", cache, cached, kTraining + "d_sae = 128\nk = 4\ndead_steps = 5\n") +
         stage("matryoshka", "sae_matryoshka", cache, cached, kTraining + "d_sae = 128\nk = 4\nprefixes = [16, 64]\n") +
         stage("jumprelu", "sae_jumprelu", cache, cached, kTraining + "d_sae = 128\nsparsity = \"target_l0\"\ntarget_l0 = 4\n") +
         stage("transcoder_k4", "transcoder", model, harvested, kTraining + "d_sae = 128\nk = 4\nbuffer_contexts = 32\n") +
         stage("transcoder_k8", "transcoder", model, harvested, kTraining + "d_sae = 64\nk = 8\nbuffer_contexts = 32\n");
}

const std::vector<std::string> kDictionaries = {"l1",       "topk",          "batchtopk",    "matryoshka",
                                                "jumprelu", "transcoder_k4", "transcoder_k8"};

using Weights = std::map<std::string, std::map<std::string, std::vector<float>>>;

Weights every_dictionary(const TempDir& dir) {
  Weights all;
  for (const auto& stage : kDictionaries) all[stage] = weights(dir, stage);
  return all;
}

// The largest difference between two runs' weights, failing on any tensor
// that differs by more than `tolerance`.
double compare(const Weights& got, const Weights& want, double tolerance, const std::string& run) {
  double largest = 0;
  for (const auto& [stage, tensors] : want) {
    EXPECT_EQ(got.at(stage).size(), tensors.size()) << stage << " in " << run;
    for (const auto& [name, values] : tensors) {
      const auto& trained = got.at(stage).at(name);
      EXPECT_EQ(trained.size(), values.size()) << stage << " " << name << " in " << run;
      if (trained.size() != values.size()) continue;
      const double difference = largest_difference(trained, values);
      EXPECT_LE(difference, tolerance) << stage << "'s " << name << " in " << run;
      largest = std::max(largest, difference);
    }
  }
  return largest;
}

std::vector<std::string> forcing_every_dictionary(const TempDir& dir, const std::string& file) {
  std::vector<std::string> args = {(dir / file).string()};
  for (const auto& stage : kDictionaries) args.insert(args.end(), {"--force", stage});
  return args;
}

TEST(OnePass, EveryDictionaryOfAPassEqualsItTrainedAlone) {
  TempDir dir;
  write_text(dir / "alone.toml", experiment(dir, dictionary_stages(false)));
  write_text(dir / "pass.toml", experiment(dir, dictionary_stages(true)));
  const auto alone = run_command({DICTLAB_BINARY, "run", (dir / "alone.toml").string()}, kEnv);
  ASSERT_EQ(alone.exit_code, 0) << alone.output;
  const Weights expected = every_dictionary(dir);

  std::vector<std::string> command = {DICTLAB_BINARY, "run"};
  for (const auto& arg : forcing_every_dictionary(dir, "pass.toml")) command.push_back(arg);
  const auto pass = run_command(command, kEnv);
  ASSERT_EQ(pass.exit_code, 0) << pass.output;
  EXPECT_NE(pass.output.find("stage l1 (sae_l1): running, training topk,batchtopk,matryoshka,jumprelu in the same pass"),
            std::string::npos) << pass.output;
  EXPECT_NE(pass.output.find("stage transcoder_k4 (transcoder): running, training transcoder_k8 in the same pass"),
            std::string::npos) << pass.output;
  for (const auto& stage : kDictionaries) {
    EXPECT_TRUE(std::filesystem::exists(dir / "run/stages" / stage / "manifest.json")) << stage;
    EXPECT_TRUE(std::filesystem::exists(dir / "run/stages" / stage / "training.json")) << stage;
  }
  std::printf("one pass against alone: weights differ by at most %.3g\n", compare(every_dictionary(dir), expected, 0, "one pass"));

  Ranks ranks(dir, 2, {forcing_every_dictionary(dir, "pass.toml")});
  ASSERT_EQ(ranks.wait(), (std::vector<int>{0, 0})) << ranks.outputs();
  std::printf("one pass on 2 ranks against alone: weights differ by at most %.3g\n",
              compare(every_dictionary(dir), expected, 5e-5, "one pass on 2 ranks"));

  // One member forced again trains alone (the others are up to date) and
  // gets what it got in the pass.
  const auto again = run_command({DICTLAB_BINARY, "run", (dir / "pass.toml").string(), "--force", "topk"}, kEnv);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("stage topk (sae_topk): running\n"), std::string::npos) << again.output;
  EXPECT_NE(again.output.find("stage l1 (sae_l1): up to date, skipped"), std::string::npos) << again.output;
  compare({{"topk", weights(dir, "topk")}}, {{"topk", expected.at("topk")}}, 0, "topk alone after the pass");
}

TEST(OnePass, AStoppedPassLeavesEveryMemberUnfinishedAndARerunResumesThem) {
  TempDir dir;
  const std::string endless = "batch_size = 512\nsteps = 100000\ncheckpoint_interval = 20\nd_sae = 128\nk = 4\n";
  const std::string cache = "[\"model\", \"tokens\", \"activations\"]";
  write_text(dir / "exp.toml", experiment(dir, stage("first", "sae_topk", cache, "pair", endless) +
                                                   stage("second", "sae_batchtopk", cache, "pair", endless)));
  {
    Process run({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv, dir / "first.log");
    ASSERT_TRUE(wait_for([&] { return std::filesystem::exists(dir / "run/stages/second/checkpoint/step-20.json"); },
                         std::chrono::seconds(120))) << run.output();
    run.signal(SIGINT);
    EXPECT_EQ(run.wait(), 130) << run.output();
    for (const char* member : {"first", "second"})
      EXPECT_FALSE(std::filesystem::exists(dir / "run/stages" / member / "manifest.json")) << member;
  }
  Process rerun({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv, dir / "rerun.log");
  auto resumed = [&](const std::string& member) {
    return rerun.output().find("[" + member + "] resuming from the checkpoint at step") != std::string::npos;
  };
  EXPECT_TRUE(wait_for([&] { return resumed("first") && resumed("second"); }, std::chrono::seconds(120)))
      << rerun.output();
  rerun.signal(SIGINT);
  rerun.wait();
}

// The line of the n-th (from 1) line of `text` holding `needle`.
int line_of(const std::string& text, const std::string& needle, int n = 1) {
  int line = 1;
  for (std::size_t at = 0; at < text.size(); at = text.find('\n', at) + 1, ++line)
    if (text.compare(at, text.find('\n', at) - at, needle) == 0 && --n == 0) return line;
  return -1;
}

TEST(OnePass, AGroupThatCannotShareAPassIsRefusedAtItsKey) {
  TempDir dir;
  const std::string cache = "[\"model\", \"tokens\", \"activations\"]";
  const std::string group = "one_pass = \"g\"";
  const auto refused = [&](const std::string& stages) {
    const std::string toml = experiment(dir, stages);
    write_text(dir / "exp.toml", toml);
    const auto run = run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv);
    EXPECT_NE(run.exit_code, 0) << run.output;
    EXPECT_FALSE(std::filesystem::exists(dir / "run/stages/model")) << "the run started: " << run.output;
    return std::make_pair(toml, run.output);
  };
  {
    auto [toml, output] = refused(stage("a", "sae_topk", cache, "g", kTraining) +
                                  stage("b", "sae_topk", cache, "g", "batch_size = 256\n"));
    const std::string where = "exp.toml:" + std::to_string(line_of(toml, group, 2)) + ":12: ";
    EXPECT_NE(output.find(where + "stage 'b' cannot join one_pass group 'g': its 'batch_size' differs from stage 'a''s "
                                  "(256 against 511)"),
              std::string::npos) << output;
  }
  {
    auto [toml, output] = refused(stage("a", "sae_topk", cache, "g", "") +
                                  stage("b", "sae_topk", "[\"model\", \"tokens\"]", "g", ""));
    EXPECT_NE(output.find("stage 'b' cannot join one_pass group 'g': its inputs [model, tokens] differ"),
              std::string::npos) << output;
  }
  {
    auto [toml, output] = refused(stage("a", "sae_topk", cache, "g", "") +
                                  stage("m", "sae_metrics", "[\"model\", \"tokens\", \"a\"]", "", "") +
                                  stage("b", "sae_metrics", "[\"model\", \"tokens\", \"a\"]", "g", ""));
    EXPECT_NE(output.find("stage 'b' cannot join one_pass group 'g': plugin sae_metrics trains one stage at a time"),
              std::string::npos) << output;
  }
  {
    auto [toml, output] = refused(stage("a", "sae_topk", cache, "lonely", ""));
    EXPECT_NE(output.find("exp.toml:" + std::to_string(line_of(toml, "one_pass = \"lonely\"")) +
                          ":12: one_pass group 'lonely' has only stage 'a'"),
              std::string::npos) << output;
  }
}

// A member's option that only its architecture can check fails the pass
// naming that member's stage and key, not the first stage's.
TEST(OnePass, AMemberOptionItsArchitectureRefusesIsNamedWithItsStage) {
  TempDir dir;
  const std::string cache = "[\"model\", \"tokens\", \"activations\"]";
  write_text(dir / "exp.toml", experiment(dir, stage("a", "sae_topk", cache, "g", kTraining + "d_sae = 64\nk = 4\n") +
                                                   stage("b", "sae_topk", cache, "g", kTraining + "d_sae = 8\nk = 16\n")));
  const auto run = run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv);
  EXPECT_NE(run.exit_code, 0) << run.output;
  EXPECT_NE(run.output.find("stage 'a' (plugin sae_topk) failed: stage 'b' of this pass, key 'k': must not exceed d_sae"),
            std::string::npos) << run.output;
}

}  // namespace
}  // namespace dictlab::testing

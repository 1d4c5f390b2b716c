// The two plugins as a user runs them: `dictlab run` writes a synthetic
// activation cache (checked against the generator), an oracle dictionary
// (tests/plugins/oracle_dictionary.cc: the true directions, exact codes)
// trains on it, and synthetic_features must find it perfect.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dictlab/safetensors.h"
#include "ground_truth.h"
#include "sample_generator.h"
#include "test_support.h"

namespace synthetic {
namespace {

using dictlab::testing::read_text;
using dictlab::testing::run_command;
using dictlab::testing::TempDir;
using dictlab::testing::write_text;

const std::map<std::string, std::string> kEnv = {
    {"DICTLAB_PLUGIN_PATH", std::string(DICTLAB_TEST_PLUGIN_DIR) + ":" + DICTLAB_BUILD_PLUGIN_DIR}};

TEST(SyntheticPipeline, OracleDictionaryRecoversTheWorldPerfectly) {
  TempDir dir;
  write_text(dir / "exp.toml", "[experiment]\nname = \"synthetic\"\nrun_dir = \"" + (dir / "run").string() +
                                   "\"\nseed = 3\n\n"
                                   "[[stage]]\nname = \"world\"\nplugin = \"synthetic_activations\"\n"
                                   "num_features = 40\nhidden_dim = 48\nmin_prob = 0.05\nroot_nodes = 2\nbranching = 3\n"
                                   "max_depth = 2\ncorrelation_rank = 3\northogonalize_steps = 5\n"
                                   "samples = 3000\nshard_samples = 1024\n\n"
                                   "[[stage]]\nname = \"oracle\"\nplugin = \"test_oracle_dictionary\"\ninputs = [\"world\"]\n\n"
                                   "[[stage]]\nname = \"recovery\"\nplugin = \"synthetic_features\"\n"
                                   "inputs = [\"world\", \"oracle\"]\nsamples = 3000\nbatch_size = 700\n");
  const auto result = run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv);
  ASSERT_EQ(result.exit_code, 0) << result.output;

  const auto world = dir / "run" / "stages" / "world";
  const auto cache = nlohmann::json::parse(read_text(world / "activations.json"));
  EXPECT_EQ(cache["dtype"], "F32");
  EXPECT_EQ(cache["hook"], "synthetic");
  EXPECT_EQ(cache["model_stage"], "");
  EXPECT_EQ(cache["shards"], 3);  // 3000 samples in shards of 1024, rounded up
  // Row 5 of shard 1 is training sample 1029, as the generator makes it.
  const auto truth = GroundTruth::load(world);
  const SampleGenerator generator(truth);
  auto work = generator.workspace();
  SparseCode code;
  generator.codes(kTrainStream, 1029, work, code);
  std::vector<float> expected(48);
  generator.activation(code, expected.data());
  const dictlab::SafetensorsFile shard(world / "shard-00001.safetensors");
  const auto rows = shard.get_f32("activations", {1024, 48}).as_floats();
  for (int j = 0; j < 48; ++j) EXPECT_EQ(rows[static_cast<std::size_t>(5 * 48 + j)], expected[static_cast<std::size_t>(j)]);

  const auto recovery = nlohmann::json::parse(read_text(dir / "run" / "stages" / "recovery" / "recovery.json"));
  EXPECT_NEAR(recovery["mcc"].get<double>(), 1.0, 1e-5);
  EXPECT_DOUBLE_EQ(recovery["uniqueness"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(recovery["f1"].get<double>(), 1.0);
  EXPECT_NEAR(recovery["explained_variance"].get<double>(), 1.0, 1e-5);
  EXPECT_DOUBLE_EQ(recovery["l0"].get<double>(), recovery["true_l0"].get<double>());
  EXPECT_EQ(recovery["samples"], 3000);
  EXPECT_NE(read_text(dir / "run" / "metrics.prom").find("dictlab_synthetic_mcc{"), std::string::npos);
}

// Each option's range is declared, so the host refuses a bad value at its
// line before any stage runs; only min_prob < max_prob, which relates two
// options, is the plugin's to check, when the stage starts.
TEST(SyntheticPipeline, OutOfRangeOptionsAreRefusedAtTheirPositions) {
  TempDir dir;
  write_text(dir / "exp.toml",
             "[[stage]]\nname = \"world\"\nplugin = \"synthetic_activations\"\n"
             "num_features = 0\nmin_prob = 0.0\nmutually_exclusive_portion = 1.5\nshard_samples = 0\n\n"
             "[[stage]]\nname = \"recovery\"\nplugin = \"synthetic_features\"\n"
             "inputs = [\"world\"]\nbatch_size = -1\n");
  const auto result = run_command({DICTLAB_BINARY, "validate", (dir / "exp.toml").string()}, kEnv);
  EXPECT_NE(result.exit_code, 0);
  const std::string world = " in [[stage]] 'world' (plugin synthetic_activations) ";
  const std::string recovery = " in [[stage]] 'recovery' (plugin synthetic_features) ";
  for (const std::string expected :
       {"exp.toml:4:1: key 'num_features'" + world + "must be at least 1, not 0",
        "exp.toml:5:1: key 'min_prob'" + world + "must be greater than 0 and less than 1, not 0",
        "exp.toml:6:1: key 'mutually_exclusive_portion'" + world + "must be between 0 and 1, not 1.5",
        "exp.toml:7:1: key 'shard_samples'" + world + "must be at least 1, not 0",
        "exp.toml:13:1: key 'batch_size'" + recovery + "must be at least 1, not -1"})
    EXPECT_NE(result.output.find(expected), std::string::npos) << expected << " not in\n" << result.output;

  write_text(dir / "exp.toml", "[experiment]\nname = \"synthetic\"\nrun_dir = \"" + (dir / "run").string() +
                                   "\"\n\n[[stage]]\nname = \"world\"\nplugin = \"synthetic_activations\"\n"
                                   "num_features = 8\nhidden_dim = 4\nmax_prob = 0.2\nmin_prob = 0.3\n");
  const auto run = run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv);
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.output.find("exp.toml:11:1: key 'min_prob': must be less than max_prob"), std::string::npos)
      << run.output;
}

}  // namespace
}  // namespace synthetic

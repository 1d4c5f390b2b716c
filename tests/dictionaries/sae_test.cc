#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <random>
#include <thread>

#include "dictlab/activation_cache.h"
#include "dictlab/dictionary.h"
#include "dictlab/safetensors.h"
#include "runner.h"
#include "tiny_corpus.h"

namespace dictlab::testing {
namespace {

const std::map<std::string, std::string> kEnv = {
    {"DICTLAB_PLUGIN_PATH", std::string(DICTLAB_TEST_PLUGIN_DIR) + ":" + DICTLAB_BUILD_PLUGIN_DIR}};

// Corpus and tokenizer (for the windows the activations come from), the
// synthetic MLP with known directions, and one dictionary stage.
std::string experiment(const std::filesystem::path& dir, const std::string& sae_stage) {
  std::string toml = tiny_pipeline_toml(dir / "run", dir / "corpus");
  toml = toml.substr(0, toml.find("[[stage]]\nname = \"model\""));
  return toml +
         "[[stage]]\nname = \"model\"\nplugin = \"synthetic_mlp\"\ninputs = [\"tokens\"]\n\n"
         "[[stage]]\nname = \"sae\"\ninputs = [\"model\", \"tokens\"]\nd_sae = 256\nbatch_size = 512\n"
         "buffer_contexts = 64\nlog_interval = 50\n" +
         sae_stage;
}

CommandResult run(const TempDir& dir, const std::string& sae_stage) {
  write_tiny_corpus(dir / "corpus");
  write_text(dir / "exp.toml", experiment(dir.path(), sae_stage));
  return run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv);
}

// For each true direction, the best cosine similarity among the learned
// decoder rows; the mean over directions.
double mean_max_cosine(const std::filesystem::path& run) {
  const SafetensorsFile truth(run / "stages/model/directions.safetensors");
  const SafetensorsFile learned(run / "stages/sae/sae_weights.safetensors");
  const auto t = truth.get("directions", {128, 64}).as_floats();
  const auto w = learned.get("W_dec", {256, 64}).as_floats();
  double total = 0;
  for (int i = 0; i < 128; ++i) {
    double best = -1;
    for (int j = 0; j < 256; ++j) {
      double dot = 0, norm = 0;
      for (int k = 0; k < 64; ++k) {
        dot += t[i * 64 + k] * w[j * 64 + k];
        norm += w[j * 64 + k] * w[j * 64 + k];
      }
      best = std::max(best, dot / std::sqrt(norm));
    }
    total += best;
  }
  return total / 128;
}

nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

}  // namespace

// Random unit vectors in 64 dimensions have a best cosine of ~0.35 with 256
// random rows; 0.9 means nearly every true direction was found.
TEST(SaeTopK, RecoversKnownSparseDirections) {
  TempDir dir;
  const auto result = run(dir, "plugin = \"sae_topk\"\nk = 4\nsteps = 500\nlearning_rate = 0.003\n");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_GT(mean_max_cosine(dir / "run"), 0.9) << result.output;
}

TEST(SaeL1, RecoversKnownSparseDirectionsAndKeepsDecoderRowsUnitNorm) {
  TempDir dir;
  const auto result =
      run(dir, "plugin = \"sae_l1\"\nsteps = 500\nlearning_rate = 0.003\nl1_coefficient = 0.03\n");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_GT(mean_max_cosine(dir / "run"), 0.85) << result.output;
  // Saved with the activation scale folded in, as SAELens reads them: the
  // rows are unit norm divided by the scale.
  const auto cfg = read_json(dir / "run/stages/sae/cfg.json");
  ASSERT_TRUE(cfg["activation_scale_folded"].get<bool>());
  EXPECT_EQ(cfg["normalize_activations"], "none");
  const double scale = cfg["activation_scale"];
  const SafetensorsFile learned(dir / "run/stages/sae/sae_weights.safetensors");
  const auto w = learned.get("W_dec", {256, 64}).as_floats();
  for (int j = 0; j < 256; ++j) {
    double norm = 0;
    for (int k = 0; k < 64; ++k) norm += w[j * 64 + k] * w[j * 64 + k];
    ASSERT_NEAR(std::sqrt(norm) * scale, 1.0, 1e-4);
  }
  EXPECT_EQ(cfg["d_in"], 64);
  EXPECT_EQ(cfg["d_sae"], 256);
}

// The MSE the first step logs: the initial dictionary's error on one batch.
double first_step_mse(const std::string& output) {
  const std::string key = "step 1: mse ";
  const auto at = output.find(key);
  return at == std::string::npos ? NAN : std::stod(output.substr(at + key.size()));
}

// 256 unit rows over 64 dimensions, half of them firing: the plain transpose
// reconstructs about twice too long; the fitted one starts nearer and must
// still learn the directions.
TEST(SaeL1, FittedEncoderInitStartsNearerAndStillRecoversTheDirections) {
  TempDir plain, fitted, trained;
  const std::string first_step = "plugin = \"sae_l1\"\nsteps = 1\n";
  const auto plain_run = run(plain, first_step);
  const auto fitted_run = run(fitted, first_step + "fit_encoder_init = true\n");
  ASSERT_EQ(plain_run.exit_code, 0) << plain_run.output;
  ASSERT_EQ(fitted_run.exit_code, 0) << fitted_run.output;
  EXPECT_LT(first_step_mse(fitted_run.output), 0.5 * first_step_mse(plain_run.output))
      << plain_run.output << fitted_run.output;

  const auto result = run(trained, "plugin = \"sae_l1\"\nsteps = 500\nlearning_rate = 0.003\nl1_coefficient = 0.03\n"
                                   "fit_encoder_init = true\n");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_GT(mean_max_cosine(trained / "run"), 0.85) << result.output;
  // Half the features fire at first, so the first steps run dense, the rest sparse.
  const auto steps = read_json(trained / "run/stages/sae/training.json")["steps_by_kernels"];
  EXPECT_GT(steps.value("dense", 0), 0) << steps.dump();
  EXPECT_GT(steps.value("sparse", 0), 0) << steps.dump();
  EXPECT_EQ(steps.value("dense", 0) + steps.value("sparse", 0), 500) << steps.dump();
}

TEST(SaeL1, ResamplingRevivesDeadFeatures) {
  TempDir dir;
  // A penalty this strong silences most features; resampling must bring some back.
  const auto result = run(dir, "plugin = \"sae_l1\"\nsteps = 200\nlearning_rate = 0.02\nl1_coefficient = 20.0\nresample_steps = [150]\n"
                               "resample_window = 50\n");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("dead features revived"), std::string::npos) << result.output;
  EXPECT_GT(read_json(dir / "run/stages/sae/training.json")["resampled_features"].get<int>(), 0);
}

TEST(SaeTopK, LoadedDictionaryEncodesExactlyKFeaturesAndDecodes) {
  TempDir dir;
  const auto result = run(dir, "plugin = \"sae_topk\"\nk = 4\nsteps = 100\n");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto registry = host::PluginRegistry::discover({DICTLAB_BUILD_PLUGIN_DIR});
  auto instance = registry.find("sae_topk")->instantiate();
  ASSERT_TRUE(instance.ok());
  auto& sae = static_cast<DictionaryLearner&>(instance->get());
  sae.load(dir / "run/stages/sae", "cpu");
  EXPECT_EQ(sae.shape().d_in, 64);
  EXPECT_EQ(sae.shape().d_sae, 256);
  std::vector<float> x(3 * 64, 0.5f), f(3 * 256), back(3 * 64);
  sae.encode(x.data(), 3, f.data());
  for (int r = 0; r < 3; ++r) {
    int active = 0;
    for (int j = 0; j < 256; ++j) active += f[r * 256 + j] > 0;
    EXPECT_LE(active, 4);
  }
  sae.decode(f.data(), 3, back.data());
  for (float v : back) EXPECT_TRUE(std::isfinite(v));
}

// Runs `stage` straight, and again killed once it checkpointed step 40 and
// resumed: the saved weights (and any thresholds) must be the same bytes.
void expect_bit_identical_after_a_kill(const std::string& stage) {
  TempDir straight, killed;
  ASSERT_EQ(run(straight, stage).exit_code, 0);
  write_tiny_corpus(killed / "corpus");
  write_text(killed / "exp.toml", experiment(killed.path(), stage));
  const auto checkpoints = killed / "run/stages/sae/checkpoint";
  {
    Process process({DICTLAB_BINARY, "run", (killed / "exp.toml").string()}, kEnv, killed / "log");
    wait_for([&] { return std::filesystem::exists(checkpoints / "step-40.json"); }, std::chrono::seconds(120));
    process.signal(SIGKILL);
    process.wait();
  }
  ASSERT_TRUE(std::filesystem::exists(checkpoints / "step-40.json"));
  const auto resumed = run_command({DICTLAB_BINARY, "run", (killed / "exp.toml").string()}, kEnv);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming from the checkpoint at step"), std::string::npos) << resumed.output;
  EXPECT_EQ(read_text(killed / "run/stages/sae/sae_weights.safetensors"),
            read_text(straight / "run/stages/sae/sae_weights.safetensors"));
}

TEST(SaeL1, KillAndResumeGivesBitIdenticalWeights) {
  expect_bit_identical_after_a_kill("plugin = \"sae_l1\"\nsteps = 400\ncheckpoint_interval = 20\n");
}

// Activations as the synthetic MLP makes them: 4 of its directions per
// row, each with a size in [0.5, 1.5].
std::vector<float> training_like_activations(const std::filesystem::path& run, int rows) {
  const auto directions = SafetensorsFile(run / "stages/model/directions.safetensors").get("directions", {128, 64}).as_floats();
  std::mt19937 rng(17);
  std::uniform_int_distribution<int> pick(0, 127);
  std::uniform_real_distribution<float> size(0.5f, 1.5f);
  std::vector<float> x(static_cast<std::size_t>(rows) * 64, 0.0f);
  for (int r = 0; r < rows; ++r)
    for (int a = 0; a < 4; ++a) {
      const int f = pick(rng);
      const float c = size(rng);
      for (int j = 0; j < 64; ++j) x[r * 64 + j] += c * directions[f * 64 + j];
    }
  return x;
}

// Trained with batch-wide codes, saved as SAELens' JumpReLU: the loaded
// dictionary encodes relu(pre)·[pre > θ] from the saved tensors, θ the same
// for every feature, and about k features per activation like the training
// data's.
TEST(SaeBatchTopK, RecoversKnownDirectionsAndLoadsAsAJumpReLUWithItsThreshold) {
  TempDir dir;
  const auto result = run(dir, "plugin = \"sae_batchtopk\"\nk = 4\nsteps = 500\nlearning_rate = 0.003\n");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_GT(mean_max_cosine(dir / "run"), 0.9) << result.output;
  const auto cfg = read_json(dir / "run/stages/sae/cfg.json");
  EXPECT_EQ(cfg["architecture"], "jumprelu");

  const SafetensorsFile saved(dir / "run/stages/sae/sae_weights.safetensors");
  const auto threshold = saved.get("threshold", {256}).as_floats();
  const auto w_enc = saved.get("W_enc", {64, 256}).as_floats();
  const auto b_enc = saved.get("b_enc", {256}).as_floats();
  const auto b_dec = saved.get("b_dec", {64}).as_floats();
  ASSERT_GT(threshold[0], 0.0f);
  for (float t : threshold) ASSERT_EQ(t, threshold[0]);

  const auto registry = host::PluginRegistry::discover({DICTLAB_BUILD_PLUGIN_DIR});
  auto instance = registry.find("sae_batchtopk")->instantiate();
  ASSERT_TRUE(instance.ok());
  auto& sae = static_cast<DictionaryLearner&>(instance->get());
  sae.load(dir / "run/stages/sae", "cpu");
  constexpr int kRows = 1000;
  const std::vector<float> x = training_like_activations(dir / "run", kRows);
  std::vector<float> f(static_cast<std::size_t>(kRows) * 256);
  sae.encode(x.data(), kRows, f.data());
  int active = 0, below_threshold = 0;
  for (int r = 0; r < kRows; ++r)
    for (int j = 0; j < 256; ++j) {
      double pre = b_enc[j];
      for (int i = 0; i < 64; ++i) pre += (x[r * 64 + i] - b_dec[i]) * w_enc[i * 256 + j];
      const double expected = pre > threshold[j] && pre > 0 ? pre : 0.0;
      ASSERT_NEAR(f[r * 256 + j], expected, 1e-4 * std::max(1.0, std::abs(pre))) << r << " " << j;
      active += f[r * 256 + j] > 0;
      below_threshold += pre > 0 && pre <= threshold[j];
    }
  EXPECT_GT(below_threshold, 0);  // θ, not a plain ReLU, decided
  const double l0 = static_cast<double>(active) / kRows;
  EXPECT_GT(l0, 4 / 1.5) << result.output;
  EXPECT_LT(l0, 4 * 1.5) << result.output;
}

TEST(SaeMatryoshka, RecoversKnownDirectionsAndSavesAsAJumpReLU) {
  TempDir dir;
  const auto result =
      run(dir, "plugin = \"sae_matryoshka\"\nk = 4\nsteps = 500\nlearning_rate = 0.003\nprefixes = [32, 128]\n");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_GT(mean_max_cosine(dir / "run"), 0.9) << result.output;
  EXPECT_EQ(read_json(dir / "run/stages/sae/cfg.json")["architecture"], "jumprelu");
  const auto threshold =
      SafetensorsFile(dir / "run/stages/sae/sae_weights.safetensors").get("threshold", {256}).as_floats();
  EXPECT_GT(threshold[0], 0.0f);
}

// Killed after the threshold started, so the checkpoint holds a running θ.
TEST(SaeBatchTopK, KillAndResumeGivesBitIdenticalWeights) {
  expect_bit_identical_after_a_kill(
      "plugin = \"sae_batchtopk\"\nk = 4\nsteps = 400\ncheckpoint_interval = 20\nthreshold_start_step = 20\n");
}

// JumpReLU with the target_l0 penalty and its default start (θ where a
// sample has the target L0, learning 10x faster than the weights): its
// thresholds must keep about the synthetic MLP's four directions per token,
// and the features must be those directions.
TEST(SaeJumpReLU, RecoversKnownSparseDirectionsAtTheTargetL0) {
  TempDir dir;
  const auto result = run(dir, "plugin = \"sae_jumprelu\"\nsparsity = \"target_l0\"\ntarget_l0 = 4.0\n"
                               "steps = 500\nlearning_rate = 0.003\n");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_GT(mean_max_cosine(dir / "run"), 0.9) << result.output;
  EXPECT_NEAR(read_json(dir / "run/stages/sae/training.json")["l0"].get<double>(), 4.0, 1.0) << result.output;
}

TEST(SaeJumpReLU, KillAndResumeGivesBitIdenticalWeightsAndThresholds) {
  expect_bit_identical_after_a_kill("plugin = \"sae_jumprelu\"\ntarget_l0 = 4.0\nsteps = 400\ncheckpoint_interval = 20\n");
}

// The saved stage is SAELens' "jumprelu" form; loaded, it must encode as
// SAELens would from the saved tensors: f = z·[z > θ], z = (x − b_dec)·W_enc + b_enc.
TEST(SaeJumpReLU, LoadedDictionaryEncodesAsTheSavedTensorsSay) {
  TempDir dir;
  const auto result = run(dir, "plugin = \"sae_jumprelu\"\ntarget_l0 = 4.0\nsteps = 100\n");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_EQ(read_json(dir / "run/stages/sae/cfg.json")["architecture"], "jumprelu");
  const SafetensorsFile saved(dir / "run/stages/sae/sae_weights.safetensors");
  const auto w_enc = saved.get("W_enc", {64, 256}).as_floats();
  const auto b_enc = saved.get("b_enc", {256}).as_floats();
  const auto b_dec = saved.get("b_dec", {64}).as_floats();
  const auto threshold = saved.get("threshold", {256}).as_floats();
  const auto registry = host::PluginRegistry::discover({DICTLAB_BUILD_PLUGIN_DIR});
  auto instance = registry.find("sae_jumprelu")->instantiate();
  ASSERT_TRUE(instance.ok());
  auto& sae = static_cast<DictionaryLearner&>(instance->get());
  sae.load(dir / "run/stages/sae", "cpu");
  std::vector<float> x(3 * 64), f(3 * 256), back(3 * 64);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i));
  sae.encode(x.data(), 3, f.data());
  int active = 0;
  for (int r = 0; r < 3; ++r)
    for (int j = 0; j < 256; ++j) {
      double z = b_enc[j];
      for (int k = 0; k < 64; ++k) z += (x[r * 64 + k] - b_dec[k]) * w_enc[k * 256 + j];
      const double expected = z > threshold[j] ? z : 0.0;
      ASSERT_NEAR(f[r * 256 + j], expected, 1e-4 * (1 + std::abs(z))) << r << " " << j;
      active += expected > 0;
    }
  EXPECT_GT(active, 0);
  sae.decode(f.data(), 3, back.data());
  for (float v : back) EXPECT_TRUE(std::isfinite(v));
}

// The synthetic MLP, an activation cache, and dictionary stages reading it.
std::string cached_experiment(const std::filesystem::path& dir, const std::string& stages) {
  std::string toml = experiment(dir, "");
  toml = toml.substr(0, toml.find("[[stage]]\nname = \"sae\""));
  return toml +
         "[[stage]]\nname = \"activations\"\nplugin = \"activation_cache\"\ninputs = [\"model\", \"tokens\"]\n"
         "activations = 32768\nshard_activations = 4096\n\n" +
         stages;
}

CommandResult run_cached(const TempDir& dir, const std::string& stages) {
  write_tiny_corpus(dir / "corpus");
  write_text(dir / "exp.toml", cached_experiment(dir.path(), stages));
  return run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv);
}

const std::string kCachedTopK =
    "[[stage]]\nname = \"sae\"\nplugin = \"sae_topk\"\ninputs = [\"model\", \"tokens\", \"activations\"]\n"
    "d_sae = 256\nbatch_size = 512\nk = 4\nsteps = 500\nlearning_rate = 0.003\n\n";

TEST(ActivationCache, DictionariesOfASweepTrainOnOneHarvestAndRecoverTheDirections) {
  TempDir dir;
  // 500 steps of 512 read the 32768 cached activations about eight times over.
  const auto result = run_cached(dir, kCachedTopK +
                                          "[[stage]]\nname = \"sae_small\"\nplugin = \"sae_topk\"\n"
                                          "inputs = [\"model\", \"tokens\", \"activations\"]\n"
                                          "d_sae = 128\nbatch_size = 512\nk = 4\nsteps = 50\n");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto cache = dir / "run/stages/activations";
  const auto info = ActivationCacheInfo::read(cache);
  EXPECT_EQ(info.shards, 8);
  EXPECT_EQ(info.d_in, 64);
  EXPECT_EQ(info.model_stage, "model");
  const SafetensorsFile shard(ActivationCacheInfo::shard_file(cache, 7));
  EXPECT_EQ(shard.get("activations", {4096, 64}).dtype, "F16");
  EXPECT_GT(mean_max_cosine(dir / "run"), 0.9) << result.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "run/stages/sae_small/sae_weights.safetensors"));
}

TEST(ActivationCache, AKilledHarvestResumesToTheSameShards) {
  TempDir straight, killed;
  ASSERT_EQ(run_cached(straight, "").exit_code, 0);
  write_tiny_corpus(killed / "corpus");
  write_text(killed / "exp.toml", cached_experiment(killed.path(), ""));
  const auto cache = killed / "run/stages/activations";
  {
    Process process({DICTLAB_BINARY, "run", (killed / "exp.toml").string()}, kEnv, killed / "log");
    wait_for([&] { return std::filesystem::exists(ActivationCacheInfo::shard_file(cache, 1)); },
             std::chrono::seconds(120));
    process.signal(SIGKILL);
    process.wait();
  }
  const bool interrupted = !std::filesystem::exists(cache / "activations.json");
  const auto resumed = run_command({DICTLAB_BINARY, "run", (killed / "exp.toml").string()}, kEnv);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  if (interrupted) EXPECT_EQ(resumed.output.find("(8 harvested in this run)"), std::string::npos) << resumed.output;
  for (int shard = 0; shard < 8; ++shard)
    EXPECT_EQ(read_text(ActivationCacheInfo::shard_file(cache, shard)),
              read_text(ActivationCacheInfo::shard_file(straight / "run/stages/activations", shard)))
        << shard;
}

TEST(ActivationCache, ABatchLargerThanAShardIsRefusedNamingTheKey) {
  TempDir dir;
  const auto result = run_cached(dir, "[[stage]]\nname = \"sae\"\nplugin = \"sae_l1\"\n"
                                      "inputs = [\"model\", \"tokens\", \"activations\"]\nbatch_size = 8192\n");
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("batch_size"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("larger than the activation cache's shards (4096"), std::string::npos) << result.output;
}

// Model B is model A's synthetic MLP again (the same seed), so its neurons are
// A's exactly; the two dictionaries differ only in their seeds, and each finds
// nearly all the true directions, so nearly every feature has a close twin.
TEST(Universality, IdenticalNeuronsMatchExactlyAndDictionariesOfTwoSeedsHaveTwins) {
  TempDir dir;
  std::string toml = experiment(dir.path(), "");
  toml = toml.substr(0, toml.find("[[stage]]\nname = \"sae\""));
  const std::string sae = "plugin = \"sae_topk\"\nd_sae = 256\nbatch_size = 512\nbuffer_contexts = 64\nk = 4\n"
                          "steps = 400\nlearning_rate = 0.003\n";
  toml += "[[stage]]\nname = \"model_b\"\nplugin = \"synthetic_mlp\"\ninputs = [\"tokens\"]\n\n"
          "[[stage]]\nname = \"sae\"\ninputs = [\"model\", \"tokens\"]\n" + sae + "\n"
          "[[stage]]\nname = \"sae_b\"\ninputs = [\"model_b\", \"tokens\"]\nseed = 3\n" + sae + "\n"
          "[[stage]]\nname = \"universality\"\nplugin = \"universality\"\n"
          "inputs = [\"model\", \"sae\", \"model_b\", \"sae_b\", \"tokens\"]\ncontexts = 128\n";
  write_tiny_corpus(dir / "corpus");
  write_text(dir / "exp.toml", toml);
  const auto result = run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::map<std::string, double> median;
  const auto report = read_json(dir / "run/stages/universality/report.json");
  for (const auto& figure : report["figures"])
    if (figure["name"] == "universality_median_correlation")
      median[figure["labels"]["unit"].get<std::string>()] = figure["value"].get<double>();
  EXPECT_GT(median.at("neurons"), 0.9999);
  EXPECT_GT(median.at("features"), 0.9);
  EXPECT_LT(median.at("features"), 1.0);
  const auto twins = read_json(dir / "run/stages/universality/twins.json");
  EXPECT_EQ(twins["model_b"], "model_b");
  EXPECT_EQ(twins["neurons"][5]["twin"], twins["neurons"][5]["unit"]);
  EXPECT_GT(twins["features"].size(), 100u);  // 128 true directions, 256 features: some never fire
}

// 128 true directions seen through 32 features: each small feature stands for
// several directions, and the 256-feature dictionary splits it into them.
TEST(FeatureSplitting, FeaturesOfALargerDictionaryLinkToTheSmallFeatureTheySplitFrom) {
  TempDir dir;
  std::string toml = experiment(dir.path(), "");
  toml = toml.substr(0, toml.find("[[stage]]\nname = \"sae\""));
  const std::string sae = "plugin = \"sae_topk\"\ninputs = [\"model\", \"tokens\"]\nbatch_size = 512\n"
                          "buffer_contexts = 64\nk = 4\nsteps = 400\nlearning_rate = 0.003\n";
  toml += "[[stage]]\nname = \"sae\"\nd_sae = 256\n" + sae + "\n"
          "[[stage]]\nname = \"sae_small\"\nd_sae = 32\n" + sae + "\n"
          "[[stage]]\nname = \"splitting\"\nplugin = \"feature_splitting\"\n"
          "inputs = [\"model\", \"sae\", \"sae_small\", \"tokens\"]\ncontexts = 128\n";
  write_tiny_corpus(dir / "corpus");
  write_text(dir / "exp.toml", toml);
  const auto result = run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv);
  ASSERT_EQ(result.exit_code, 0) << result.output;

  std::map<std::string, double> figure;
  const auto report = read_json(dir / "run/stages/splitting/report.json");
  for (const auto& f : report["figures"]) {
    EXPECT_EQ(f["labels"]["parent_dictionary"], "sae_small");  // ordered by size, not by inputs
    figure[f["name"].get<std::string>()] = f["value"].get<double>();
  }
  ASSERT_EQ(figure.size(), 6u) << report.dump();
  EXPECT_GT(figure.at("splitting_split_parents"), 16);  // most of the 32 split
  // A direction against a blend of about four: cosine near 0.5; against a
  // random feature of 32 in 64 dimensions it would be near 0.1.
  EXPECT_GT(figure.at("splitting_median_cosine"), 0.3);
  // Two features of unrelated directions fire on unrelated tokens: near 0.
  EXPECT_GT(figure.at("splitting_median_correlation"), 0.2);
  EXPECT_GT(figure.at("splitting_cosine_agreement"), 0.5);

  const auto splitting = read_json(dir / "run/stages/splitting/splitting.json");
  ASSERT_EQ(splitting["links"].size(), 1u);
  const auto& link = splitting["links"][0];
  EXPECT_EQ(link["child_dictionary"], "sae");
  EXPECT_EQ(static_cast<double>(link["pairs"].size()), figure.at("splitting_children"));
  for (const auto& pair : link["pairs"]) {
    ASSERT_LT(pair["child"].get<int>(), 256);
    ASSERT_LT(pair["parent"].get<int>(), 32);
  }
}

}  // namespace dictlab::testing

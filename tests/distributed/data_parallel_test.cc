// `dictlab run` as torchrun starts it: several processes on loopback, each
// told its RANK and the WORLD_SIZE, joined through torch.distributed (a
// TCPStore and Gloo). The activation cache 2 and 3 ranks harvest is the one
// a single process harvests, byte for byte, and every dictionary (and the
// toy model) they train equals what a single process trains on the same
// global batch; the evaluators' reports and feature store equal one
// process's; a rank that dies or hangs stops the other within the collective timeout, naming it,
// and a rerun resumes; ranks started on different experiments are refused.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <memory>

#include "dictlab/activation_cache.h"
#include "dictlab/feature_store.h"
#include "dictlab/safetensors.h"
#include "loopback_runs.h"

namespace dictlab::testing {
namespace {

// 511 rows split unevenly over 2 and 3 ranks: 256 + 255, 171 + 170 + 170.
const std::string kDictionaryOptions = "d_sae = 128\nbatch_size = 511\nsteps = 40\nlog_interval = 10\n";

const std::vector<std::string> kDictionaries = {"l1", "topk", "batchtopk", "matryoshka", "jumprelu", "transcoder"};

// `extra` is added to every dictionary's options.
std::string dictionary_stages(const std::string& extra = "") {
  const std::string options = kDictionaryOptions + extra;
  const std::string cached = "inputs = [\"model\", \"tokens\", \"activations\"]\n" + options;
  return "[[stage]]\nname = \"l1\"\nplugin = \"sae_l1\"\n" + cached + "l1_coefficient = 0.002\n\n"
         "[[stage]]\nname = \"topk\"\nplugin = \"sae_topk\"\n" + cached + "k = 4\ndead_steps = 1\n\n"
         "[[stage]]\nname = \"batchtopk\"\nplugin = \"sae_batchtopk\"\n" + cached + "k = 4\ndead_steps = 5\n\n"
         "[[stage]]\nname = \"matryoshka\"\nplugin = \"sae_matryoshka\"\n" + cached + "k = 4\nprefixes = [16, 64]\n\n"
         "[[stage]]\nname = \"jumprelu\"\nplugin = \"sae_jumprelu\"\n" + cached +
         "sparsity = \"target_l0\"\ntarget_l0 = 4\n\n"
         "[[stage]]\nname = \"transcoder\"\nplugin = \"transcoder\"\ninputs = [\"model\", \"tokens\"]\n" +
         options + "k = 4\nbuffer_contexts = 80\n\n";
}

// The activation cache's shard files, their bytes in order.
std::string cache_shards(const TempDir& dir) {
  std::string bytes;
  const std::filesystem::path stage = dir / "run/stages/activations";
  for (int shard = 0; std::filesystem::exists(ActivationCacheInfo::shard_file(stage, shard)); ++shard)
    bytes += read_text(ActivationCacheInfo::shard_file(stage, shard));
  return bytes;
}

// Trains every dictionary in one process, then on each of `worlds` ranks,
// and compares the weights (and the activation cache the ranks harvest).
void expect_ranks_train_what_one_process_trains(const std::string& stages, const std::vector<int>& worlds) {
  TempDir dir;
  write_text(dir / "exp.toml", experiment(dir, stages));
  const auto single = run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv);
  ASSERT_EQ(single.exit_code, 0) << single.output;
  std::map<std::string, std::map<std::string, std::vector<float>>> expected;
  for (const auto& stage : kDictionaries) expected[stage] = weights(dir, stage);
  const std::string cache = cache_shards(dir);

  std::vector<std::string> args = {(dir / "exp.toml").string(), "--force", "activations"};
  for (const auto& stage : kDictionaries) args.insert(args.end(), {"--force", stage});
  for (int world : worlds) {
    Ranks ranks(dir, world, {args});
    const std::vector<int> codes = ranks.wait();
    ASSERT_EQ(codes, std::vector<int>(static_cast<std::size_t>(world), 0)) << ranks.outputs();
    EXPECT_NE(ranks[1].output().find("rank 1 of " + std::to_string(world)), std::string::npos) << ranks.outputs();
    EXPECT_TRUE(cache_shards(dir) == cache) << "the activation cache harvested by " << world << " ranks differs";
    for (const auto& stage : kDictionaries) {
      const auto trained = weights(dir, stage);
      ASSERT_EQ(trained.size(), expected[stage].size()) << stage;
      for (const auto& [name, values] : expected[stage]) {
        ASSERT_EQ(trained.at(name).size(), values.size()) << stage << " " << name;
        const double difference = largest_difference(trained.at(name), values);
        std::printf("%d ranks: %s %s differs by at most %.2g\n", world, stage.c_str(), name.c_str(), difference);
        EXPECT_LT(difference, 5e-5) << stage << "'s " << name << " on " << world << " ranks";
      }
    }
  }
}

TEST(DataParallel, TwoAndThreeRanksTrainTheDictionariesOneProcessTrains) {
  expect_ranks_train_what_one_process_trains(dictionary_stages(), {2, 3});
}

// Autograd's step (the dense reference on the CPU, what trains on a GPU)
// computes BatchTopK's cut, AuxK's normaliser and JumpReLU's L0 target over
// every rank's rows too.
TEST(DataParallel, TwoRanksTrainTheDictionariesByAutogradAsOneProcess) {
  expect_ranks_train_what_one_process_trains(dictionary_stages("sparse_kernels = false\n"), {2});
}

// The toy transformer's own training: 2 ranks of 4 contexts each give the
// model one process trains on the batches of 8.
TEST(DataParallel, TwoRanksTrainTheModelOneProcessTrains) {
  TempDir dir;
  write_tiny_corpus(dir / "corpus");
  write_text(dir / "exp.toml", tiny_pipeline_toml(dir / "run", dir / "corpus", "steps = 40\n"));
  const auto single = run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv);
  ASSERT_EQ(single.exit_code, 0) << single.output;
  const std::string file = (dir / "run/stages/model/model.safetensors").string();
  std::map<std::string, std::vector<float>> expected;
  const SafetensorsFile alone(file);
  for (const auto& [name, tensor] : alone.tensors())
    if (tensor.dtype == "F32") expected[name] = tensor.as_floats();

  Ranks ranks(dir, 2, {{(dir / "exp.toml").string(), "--force", "model"}});
  ASSERT_EQ(ranks.wait(), (std::vector<int>{0, 0})) << ranks.outputs();
  const SafetensorsFile trained(file);
  ASSERT_FALSE(expected.empty());
  for (const auto& [name, values] : expected) {
    const double difference = largest_difference(trained.tensors().at(name).as_floats(), values);
    std::printf("2 ranks: model %s differs by at most %.2g\n", name.c_str(), difference);
    EXPECT_LT(difference, 5e-5) << name;
  }
}

// Two toy models and their dictionaries, measured by every evaluator that
// reads held-out tokens; 36 held-out contexts make 5 batches of
// sae_metrics' 8, 80 make 3 of the others' 32.
std::string evaluated_experiment(const TempDir& dir) {
  write_tiny_corpus(dir / "corpus");
  const std::string pipeline = tiny_pipeline_toml(dir / "run", dir / "corpus", "steps = 30\n");
  std::string model_b = pipeline.substr(pipeline.find("[[stage]]\nname = \"model\""));
  model_b.replace(0, std::string("[[stage]]\nname = \"model\"").size(), "[[stage]]\nname = \"model_b\"");
  auto sae = [](const std::string& name, const std::string& model, int d_sae) {
    return "\n[[stage]]\nname = \"" + name + "\"\nplugin = \"sae_topk\"\ninputs = [\"" + model +
           "\", \"tokens\"]\nd_sae = " + std::to_string(d_sae) + "\nk = 4\nbatch_size = 256\nsteps = 30\n";
  };
  auto evaluator = [](const std::string& name, const std::string& plugin, const std::string& inputs,
                      const std::string& options) {
    return "\n[[stage]]\nname = \"" + name + "\"\nplugin = \"" + plugin + "\"\ninputs = [" + inputs + "]\n" + options;
  };
  return pipeline + "\n" + model_b + "seed = 2\n" + sae("sae", "model", 96) + sae("sae_wide", "model", 192) +
         sae("sae_b", "model_b", 96) +
         evaluator("metrics", "sae_metrics", "\"model\", \"tokens\", \"sae\"", "contexts = 36\n") +
         evaluator("features", "feature_analysis", "\"model\", \"tokens\", \"sae\"",
                   "browser_bundle = false\nlayout_epochs = 20\ntop_examples = 6\nintervals = 4\n"
                   "interval_examples = 3\n") +
         evaluator("famous", "famous_features", "\"model\", \"sae\", \"tokens\"", "contexts = 80\nmin_tokens = 20\n") +
         evaluator("splitting", "feature_splitting", "\"model\", \"sae\", \"sae_wide\", \"tokens\"", "contexts = 80\n") +
         evaluator("universality", "universality", "\"model\", \"sae\", \"model_b\", \"sae_b\", \"tokens\"",
                   "contexts = 80\n");
}

// Each evaluator's report and artifact, and every feature's evidence in the store.
const std::vector<std::pair<std::string, std::string>> kEvaluated = {
    {"metrics", "report.json"},   {"famous", "report.json"},       {"famous", "famous.json"},
    {"splitting", "report.json"}, {"splitting", "splitting.json"}, {"universality", "report.json"},
    {"universality", "twins.json"}};

nlohmann::json evaluated(const TempDir& dir) {
  nlohmann::json out;
  for (const auto& [stage, file] : kEvaluated)
    out[stage + "/" + file] = nlohmann::json::parse(read_text(dir / "run/stages" / stage / file));
  auto store = FeatureStore::open(dir / "run/stages/features" / FeatureStore::kFileName);
  store.for_each_evidence(0, 1 << 20, [&](std::int64_t id, nlohmann::json json) {
    out["features/" + std::to_string(id)] = std::move(json);
  });
  return out;
}

// Equal, numbers within `relative` of each other (sums over ranks round differently).
void expect_near(const nlohmann::json& got, const nlohmann::json& want, const std::string& where, double relative) {
  if (want.is_number() && got.is_number()) {
    const double a = got.get<double>(), b = want.get<double>();
    EXPECT_NEAR(a, b, relative * std::max(1.0, std::abs(b))) << where;
  } else if (want.is_structured() && got.type() == want.type() && got.size() == want.size()) {
    for (auto it = want.begin(); it != want.end(); ++it) {
      const std::string key = want.is_object() ? it.key() : std::to_string(it - want.begin());
      ASSERT_TRUE(want.is_array() || got.contains(it.key())) << where << "/" << key;
      expect_near(want.is_object() ? got[it.key()] : got[static_cast<std::size_t>(it - want.begin())], *it,
                  where + "/" + key, relative);
    }
  } else {
    EXPECT_EQ(got, want) << where;
  }
}

// The evaluators split the held-out contexts over the ranks and reduce what
// they gathered: reports, artifacts and the feature store equal one
// process's (sums up to rounding; top examples, with ties, and interval
// samples exactly).
TEST(DataParallel, TwoAndThreeRanksEvaluateAsOneProcess) {
  TempDir dir;
  write_text(dir / "exp.toml", evaluated_experiment(dir));
  const auto single = run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv);
  ASSERT_EQ(single.exit_code, 0) << single.output;
  const auto expected = evaluated(dir);
  ASSERT_GT(expected["metrics/report.json"]["figures"].size(), 20u);
  ASSERT_TRUE(expected.contains("features/0"));

  std::vector<std::string> args = {(dir / "exp.toml").string()};
  for (const char* stage : {"metrics", "features", "famous", "splitting", "universality"})
    args.insert(args.end(), {"--force", stage});
  for (int world : {2, 3}) {
    Ranks ranks(dir, world, {args});
    ASSERT_EQ(ranks.wait(), std::vector<int>(static_cast<std::size_t>(world), 0)) << ranks.outputs();
    for (const char* stage : {"metrics (sae_metrics)", "features (feature_analysis)", "famous (famous_features)",
                              "splitting (feature_splitting)", "universality (universality)"})
      EXPECT_NE(ranks[1].output().find(std::string("stage ") + stage + ": running on " + std::to_string(world)),
                std::string::npos) << ranks.outputs();
    expect_near(evaluated(dir), expected, std::to_string(world) + " ranks", 1e-9);
  }
}

const std::string kLongTopK = "[[stage]]\nname = \"topk\"\nplugin = \"sae_topk\"\n"
                              "inputs = [\"model\", \"tokens\", \"activations\"]\nd_sae = 128\nbatch_size = 512\n"
                              "k = 4\nsteps = 100000\ncheckpoint_interval = 20\n";

// Both ranks well into training: rank 0 has written a checkpoint.
void wait_for_checkpoint(const TempDir& dir) {
  ASSERT_TRUE(wait_for([&] { return std::filesystem::exists(dir / "run/stages/topk/checkpoint/step-40.json"); },
                       std::chrono::seconds(120)));
}

std::chrono::seconds elapsed_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start);
}

TEST(DataParallel, AKilledRankStopsTheOtherNamingItAndARerunResumes) {
  TempDir dir;
  write_text(dir / "exp.toml", experiment(dir, kLongTopK, "collective_timeout = 30\n"));
  {
    Ranks ranks(dir, 2, {{(dir / "exp.toml").string()}});
    wait_for_checkpoint(dir);
    const auto killed_at = std::chrono::steady_clock::now();
    ranks[1].signal(SIGKILL);
    EXPECT_EQ(ranks[1].wait(), 128 + SIGKILL);
    EXPECT_NE(ranks[0].wait(), 0) << ranks.outputs();
    EXPECT_LT(elapsed_since(killed_at).count(), 30) << ranks.outputs();
    EXPECT_NE(ranks[0].output().find("rank 1"), std::string::npos) << ranks.outputs();
  }
  // A rerun of both ranks resumes from rank 0's last checkpoint.
  Ranks rerun(dir, 2, {{(dir / "exp.toml").string()}});
  auto resumed = [&](int rank) {
    return rerun[rank].output().find("resuming from the checkpoint at step") != std::string::npos;
  };
  EXPECT_TRUE(wait_for([&] { return resumed(0) && resumed(1); }, std::chrono::seconds(120))) << rerun.outputs();
  rerun[0].signal(SIGKILL);
  rerun[1].signal(SIGKILL);
  rerun.wait();
}

TEST(DataParallel, AHangingRankStopsTheOtherWithinTheTimeoutNamingIt) {
  TempDir dir;
  write_text(dir / "exp.toml", experiment(dir, kLongTopK, "collective_timeout = 5\n"));
  Ranks ranks(dir, 2, {{(dir / "exp.toml").string()}});
  wait_for_checkpoint(dir);
  const auto stopped_at = std::chrono::steady_clock::now();
  ranks[1].signal(SIGSTOP);
  EXPECT_NE(ranks[0].wait(), 0);
  EXPECT_LT(elapsed_since(stopped_at).count(), 20) << ranks.outputs();
  ranks[1].signal(SIGKILL);
  ranks[1].signal(SIGCONT);
  ranks[1].wait();
  // Named from the heartbeats; unless the stop caught rank 1 part-way through
  // a request to the store, which then stalls in rank 0 (it says so: which
  // rank did it cannot be asked of a store that does not answer).
  const std::string output = ranks[0].output();
  const bool named = output.find("rank 1 (at #") != std::string::npos &&
                     output.find("does not respond: it died, hangs or was stopped") != std::string::npos;
  EXPECT_TRUE(named || output.find("the store this rank serves stopped answering") != std::string::npos)
      << ranks.outputs();
}

// Ctrl-C reaching one rank only (another node's terminal, a scheduler
// signalling one task): every rank stops at the same step, as stopped, so
// rank 0 does not record the half-trained dictionary as finished, and a
// rerun resumes it.
TEST(DataParallel, AStopThatReachesOneRankStopsEveryRankAndARerunResumes) {
  TempDir dir;
  write_text(dir / "exp.toml", experiment(dir, kLongTopK));
  {
    Ranks ranks(dir, 2, {{(dir / "exp.toml").string()}});
    wait_for_checkpoint(dir);
    ranks[1].signal(SIGINT);
    EXPECT_EQ(ranks.wait(), (std::vector<int>{130, 130})) << ranks.outputs();
    EXPECT_NE(ranks[0].output().find("stopped during stage 'topk'"), std::string::npos) << ranks.outputs();
    EXPECT_FALSE(std::filesystem::exists(dir / "run/stages/topk/manifest.json")) << ranks.outputs();
  }
  Ranks rerun(dir, 2, {{(dir / "exp.toml").string()}});
  EXPECT_TRUE(wait_for([&] { return rerun[0].output().find("resuming from the checkpoint at step") != std::string::npos; },
                       std::chrono::seconds(120))) << rerun.outputs();
  rerun[0].signal(SIGINT);
  rerun[1].signal(SIGINT);
  rerun.wait();
}

TEST(DataParallel, RanksOnDifferentExperimentsAreRefusedAtStart) {
  TempDir dir;
  write_text(dir / "a.toml", experiment(dir, kLongTopK));
  std::string other = kLongTopK;
  other.replace(other.find("k = 4"), 5, "k = 8");
  write_text(dir / "b.toml", experiment(dir, other));
  Ranks ranks(dir, 2, {{(dir / "a.toml").string()}, {(dir / "b.toml").string()}});
  EXPECT_EQ(ranks.wait(), (std::vector<int>{2, 2})) << ranks.outputs();
  EXPECT_NE(ranks[0].output().find("rank(s) 1 run an experiment that differs from rank 0's"), std::string::npos)
      << ranks.outputs();
  EXPECT_FALSE(std::filesystem::exists(dir / "run/stages/topk"));
}

TEST(DataParallel, ARankThatNeverStartsIsNamedWhenTheJoinTimesOut) {
  TempDir dir;
  write_text(dir / "exp.toml", experiment(dir, kLongTopK, "collective_timeout = 3\n"));
  std::map<std::string, std::string> env = kEnv;
  env.insert({{"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", std::to_string(free_port())}});
  const auto result = run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, env);
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.output.find("rank(s) 1 did not reach 'joined'"), std::string::npos) << result.output;
}

TEST(DataParallel, ALaunchEnvironmentWithoutARankIsRefusedNamingTheVariable) {
  TempDir dir;
  write_text(dir / "exp.toml", experiment(dir, kLongTopK));
  std::map<std::string, std::string> env = kEnv;
  env["WORLD_SIZE"] = "2";
  const auto result = run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, env);
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.output.find("RANK is not set"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace dictlab::testing

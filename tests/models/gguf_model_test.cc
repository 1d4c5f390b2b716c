// The gguf_model and gguf_tokens plugins as an experiment uses them, on
// SmolLM2-135M-Instruct: the stages run, the hooks read and edit the places
// their names say, and a dictionary trains and is measured at a deep hook.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>

#include "dictlab/model.h"
#include "dictlab/safetensors.h"
#include "hf_tokenizer_check.h"
#include "plugin_registry.h"
#include "tiny_corpus.h"

namespace dictlab::testing {
namespace {

const std::map<std::string, std::string> kEnv = {{"DICTLAB_PLUGIN_PATH", DICTLAB_BUILD_PLUGIN_DIR}};

std::optional<std::filesystem::path> smollm2_path() {
  const char* cache = std::getenv("DICTLAB_LLM_CACHE");
  const std::filesystem::path path =
      std::filesystem::path(cache ? cache : "/var/cache/dictlab/llm") / "SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!std::filesystem::exists(path)) return std::nullopt;
  return path;
}

std::string experiment(const std::filesystem::path& dir, const std::filesystem::path& gguf) {
  const std::string file = "file = \"" + gguf.string() + "\"\n";
  return "[experiment]\nname = \"smol\"\nrun_dir = \"" + (dir / "run").string() +
         "\"\n\n[[stage]]\nname = \"corpus\"\nplugin = \"text_files\"\npaths = [\"" + (dir / "corpus").string() +
         "\"]\n\n[[stage]]\nname = \"tokens\"\nplugin = \"gguf_tokens\"\ninputs = [\"corpus\"]\nheldout_fraction = 0.2\n" +
         file + "\n[[stage]]\nname = \"model\"\nplugin = \"gguf_model\"\ninputs = [\"tokens\"]\ncontext_length = 32\n" +
         file +
         "\n[[stage]]\nname = \"cache\"\nplugin = \"activation_cache\"\ninputs = [\"model\", \"tokens\"]\n"
         "hook = \"blocks.2.hook_resid_post\"\nactivations = 2048\nshard_activations = 1024\n"
         "\n[[stage]]\nname = \"sae\"\nplugin = \"sae_topk\"\ninputs = [\"model\", \"tokens\", \"cache\"]\n"
         "d_sae = 1152\nk = 16\nsteps = 40\nbatch_size = 256\nlog_interval = 20\n"
         "\n[[stage]]\nname = \"metrics\"\nplugin = \"sae_metrics\"\ninputs = [\"model\", \"tokens\", \"sae\"]\n"
         "contexts = 4\n";
}

class GgufModel : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    gguf_ = smollm2_path();
    if (!gguf_) return;
    dir_ = new TempDir;
    write_tiny_corpus(*dir_ / "corpus");
    write_text(*dir_ / "exp.toml", experiment(dir_->path(), *gguf_));
    const auto result = run_command({DICTLAB_BINARY, "run", (*dir_ / "exp.toml").string()}, kEnv);
    output_ = new std::string(result.output);
    exit_code_ = result.exit_code;
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete output_;
  }

  void SetUp() override {
    if (!gguf_) GTEST_SKIP() << "SmolLM2-135M-Instruct.Q4_1.gguf is not in /var/cache/dictlab/llm (or "
                                "$DICTLAB_LLM_CACHE); get it with `bash .ci/install-llm`";
    ASSERT_EQ(exit_code_, 0) << *output_;
    registry_ = std::make_unique<host::PluginRegistry>(host::PluginRegistry::discover({DICTLAB_BUILD_PLUGIN_DIR}));
    auto instance = registry_->find("gguf_model")->instantiate();
    ASSERT_TRUE(instance.ok());
    instance_ = std::make_unique<host::PluginInstance>(std::move(*instance));
    model_ = &static_cast<Model&>(instance_->get());
    model_->load(*dir_ / "run/stages/model", "cpu");
  }

  std::vector<std::int32_t> window(const std::string& text, std::int64_t length) {
    auto ids = model_->encode(text);
    ids.resize(static_cast<std::size_t>(length), ids.back());
    return ids;
  }

  static nlohmann::json read_json(const std::filesystem::path& file) {
    std::ifstream in(file);
    return nlohmann::json::parse(in);
  }

  static inline std::optional<std::filesystem::path> gguf_;
  static inline TempDir* dir_ = nullptr;
  static inline std::string* output_ = nullptr;
  static inline int exit_code_ = -1;
  std::unique_ptr<host::PluginRegistry> registry_;
  std::unique_ptr<host::PluginInstance> instance_;
  Model* model_ = nullptr;
};

TEST_F(GgufModel, TheModelHasEveryBlocksHooksAndItsOwnTokens) {
  EXPECT_EQ(model_->hook_points().size(), 30u * 7u);
  EXPECT_EQ(model_->default_hook(), "blocks.15.hook_resid_post");
  EXPECT_EQ(model_->shape().vocab_size, 49152);
  EXPECT_EQ(model_->shape().context_length, 32);
  // llama.cpp's ids for this text (DESIGN.md's probe of node-llama-cpp).
  EXPECT_EQ(model_->encode("The capital of France is"), (std::vector<std::int32_t>{504, 3575, 282, 4649, 314}));
  const auto tokens = read_json(*dir_ / "run/stages/tokens/tokens.json");
  EXPECT_EQ(tokens["vocab_size"], 49152);
  EXPECT_EQ(tokens["model_file"]["sha256"].get<std::string>().size(), 64u);
}

TEST_F(GgufModel, ItsStageFolderLoadsInHuggingFaceWithTheModelsIds) {
  const auto stage = *dir_ / "run/stages/model";
  EXPECT_EQ(read_json(stage / "config.json")["architectures"][0], "LlamaForCausalLM");
  const auto result = check_with_hugging_face(
      stage, interop_texts(), [&](const std::string& text) { return model_->encode(text); },
      [&](const std::vector<std::int32_t>& ids) { return model_->decode(ids); });
  if (result.skipped) GTEST_SKIP() << *result.skipped;
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

TEST_F(GgufModel, HooksReadTheResidualStreamAndWhatWritesIntoIt) {
  const auto ids = window("def add(a, b):\n    return a + b  # and some prose after it", 16);
  const auto a = model_->activations({ids.data(), 1, 16},
                                     {"blocks.7.hook_resid_pre", "blocks.7.hook_attn_out", "blocks.7.hook_resid_mid",
                                      "blocks.7.hook_mlp_out", "blocks.7.hook_resid_post", "blocks.8.hook_resid_pre",
                                      "blocks.7.mlp.hook_post"});
  ASSERT_EQ(a[0].size(), 16u * 576u);
  ASSERT_EQ(a[6].size(), 16u * 1536u);
  for (std::size_t i = 0; i < a[0].size(); ++i) {
    ASSERT_NEAR(a[2][i], a[0][i] + a[1][i], 1e-3 * (1 + std::abs(a[2][i])));
    ASSERT_NEAR(a[4][i], a[2][i] + a[3][i], 1e-3 * (1 + std::abs(a[4][i])));
    ASSERT_EQ(a[5][i], a[4][i]);
  }
}

TEST_F(GgufModel, EditsAtAHookChangeThePredictionsAndUnknownHooksAreNamed) {
  const auto ids = window("The capital of France is", 5);
  const TokenBatch batch{ids.data(), 1, 5};
  const auto clean = model_->logits(batch);
  EXPECT_EQ(clean, model_->logits(batch, {{"blocks.10.hook_resid_post", [](float*, std::int64_t, std::int64_t) {}}}));
  const auto paris = model_->encode(" Paris").front();
  auto top = [&](const std::vector<float>& logits) {
    const float* last = logits.data() + 4 * 49152;
    return static_cast<std::int32_t>(std::max_element(last, last + 49152) - last);
  };
  EXPECT_EQ(top(clean), paris);
  const auto ablated = model_->logits(batch, {{"blocks.3.hook_mlp_out", [](float* x, std::int64_t rows, std::int64_t width) {
                                                 std::fill(x, x + rows * width, 0.0f);
                                               }}});
  EXPECT_NE(ablated, clean);
  try {
    model_->logits(batch, {{"blocks.3.hook_mlp_otu", [](float*, std::int64_t, std::int64_t) {}}});
    FAIL() << "an unknown hook was accepted";
  } catch (const PluginError& error) {
    EXPECT_NE(std::string(error.what()).find("did you mean 'blocks.3.hook_mlp_out'"), std::string::npos) << error.what();
  }
}

TEST_F(GgufModel, GenerationContinuesAPromptWithTheModelsKnowledge) {
  SamplingOptions greedy;
  greedy.temperature = 0;
  greedy.max_new_tokens = 4;
  const std::string text = model_->generate("The capital of France is", greedy);
  EXPECT_EQ(text.rfind(" Paris", 0), 0u) << text;
}

TEST_F(GgufModel, ADictionaryTrainsAtADeepHookAndIsMeasuredThere) {
  const auto cache = read_json(*dir_ / "run/stages/cache/activations.json");
  EXPECT_EQ(cache["hook"], "blocks.2.hook_resid_post");
  EXPECT_EQ(cache["d_in"], 576);
  const auto cfg = read_json(*dir_ / "run/stages/sae/cfg.json");
  EXPECT_EQ(cfg["hook_name"], "blocks.2.hook_resid_post");
  EXPECT_EQ(cfg["hook_layer"], 2);
  // Splicing the reconstruction moves the predictions less than deleting the
  // residual stream does.
  std::ifstream in(*dir_ / "run/stages/metrics/metrics.prom");
  const std::string text((std::istreambuf_iterator<char>(in)), {});
  auto figure = [&](const std::string& label) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);)
      if (line.starts_with("dictlab_sae_eval_kl_divergence{") && line.find(label) != std::string::npos)
        return std::stod(line.substr(line.rfind(' ') + 1));
    return std::nan("");
  };
  const double spliced = figure("mlp=\"spliced\"");
  const double zeroed = figure("mlp=\"zero_ablated\"");
  EXPECT_GT(spliced, 0) << text;
  EXPECT_LT(spliced, zeroed) << text;
}

// SAEBench's core figures beside the paper's, in report.json as in Prometheus;
// the most similar decoder pair found through decode() against a brute-force
// search over the W_dec rows the dictionary stage saved.
TEST_F(GgufModel, TheDictionarysMetricsIncludeSaeBenchsCoreFigures) {
  const auto report = read_json(*dir_ / "run/stages/metrics/report.json");
  std::map<std::string, double> figures;
  for (const auto& figure : report["figures"]) {
    std::string key = figure["name"];
    for (const auto& [label, value] : figure["labels"].items()) key += "{" + label + "=" + value.get<std::string>() + "}";
    figures[key] = figure["value"].is_number() ? figure["value"].get<double>() : std::nan("");
  }
  for (const char* name : {"sae_eval_cosine_similarity", "sae_eval_l2_ratio", "sae_eval_relative_reconstruction_bias",
                           "sae_eval_l1", "sae_eval_alive_ratio", "sae_eval_decoder_max_abs_cosine"})
    ASSERT_TRUE(figures.contains(name)) << name << " is not in " << report.dump(2);
  EXPECT_GT(figures["sae_eval_cosine_similarity"], 0.5);
  EXPECT_LE(figures["sae_eval_cosine_similarity"], 1.0);
  EXPECT_GT(figures["sae_eval_l2_ratio"], 0.0);
  EXPECT_GT(figures["sae_eval_relative_reconstruction_bias"], 0.0);
  EXPECT_GT(figures["sae_eval_l1"], 0.0);
  EXPECT_DOUBLE_EQ(figures["sae_eval_alive_ratio"] + figures["sae_eval_dead_ratio"], 1.0);

  const SafetensorsFile weights(*dir_ / "run/stages/sae/sae_weights.safetensors");
  const auto w = weights.get("W_dec", {1152, 576}).as_floats();
  double best = -1;
  std::int64_t first = -1, second = -1;
  std::vector<double> norms(1152, 0.0);
  for (std::int64_t a = 0; a < 1152; ++a)
    for (std::int64_t j = 0; j < 576; ++j) norms[a] += double(w[a * 576 + j]) * w[a * 576 + j];
  for (std::int64_t a = 0; a < 1152; ++a)
    for (std::int64_t b = a + 1; b < 1152; ++b) {
      double dot = 0;
      for (std::int64_t j = 0; j < 576; ++j) dot += double(w[a * 576 + j]) * w[b * 576 + j];
      const double c = std::abs(dot) / std::sqrt(norms[a] * norms[b]);
      if (c > best) best = c, first = a, second = b;
    }
  EXPECT_NEAR(figures["sae_eval_decoder_max_abs_cosine"], best, 1e-5);
  EXPECT_EQ(figures["sae_eval_decoder_most_similar_feature{pair_member=first}"], first);
  EXPECT_EQ(figures["sae_eval_decoder_most_similar_feature{pair_member=second}"], second);

  std::ifstream in(*dir_ / "run/stages/metrics/metrics.prom");
  const std::string prom((std::istreambuf_iterator<char>(in)), {});
  EXPECT_NE(prom.find("dictlab_sae_eval_relative_reconstruction_bias{"), std::string::npos) << prom;
}

}  // namespace
}  // namespace dictlab::testing

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>
#include <thread>

#include "dictlab/model.h"
#include "dictlab/safetensors.h"
#include "hf_tokenizer_check.h"
#include "runner.h"
#include "tiny_corpus.h"

namespace dictlab::testing {
namespace {

constexpr const char* kMlp = "blocks.0.mlp.hook_post";

const std::map<std::string, std::string> kEnv = {{"DICTLAB_PLUGIN_PATH", DICTLAB_BUILD_PLUGIN_DIR}};

nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

// One trained tiny model shared by the tests that only read it.
class ToyTransformer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    write_tiny_corpus(*dir_ / "corpus");
    write_text(*dir_ / "exp.toml", tiny_pipeline_toml(*dir_ / "run", *dir_ / "corpus", "steps = 120\n"));
    const auto result = run_command({DICTLAB_BINARY, "run", (*dir_ / "exp.toml").string()}, kEnv);
    ASSERT_EQ(result.exit_code, 0) << result.output;
    output_ = new std::string(result.output);
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete output_;
  }
  static std::filesystem::path stage() { return *dir_ / "run/stages/model"; }

  // The model as a later stage sees it: a fresh plugin instance, loaded.
  void SetUp() override {
    registry_ = std::make_unique<host::PluginRegistry>(host::PluginRegistry::discover({DICTLAB_BUILD_PLUGIN_DIR}));
    auto instance = registry_->find("toy_transformer")->instantiate();
    ASSERT_TRUE(instance.ok());
    instance_ = std::make_unique<host::PluginInstance>(std::move(*instance));
    model_ = &static_cast<Model&>(instance_->get());
    model_->load(stage(), "cpu");
  }

  std::vector<std::int32_t> heldout_batch(std::int64_t batch, std::int64_t length) {
    const auto ids = model_->encode("The cat sat on the mat. def add(a, b): return a + b. שלום עולם 床前明月光 Привет");
    std::vector<std::int32_t> tokens;
    for (std::int64_t i = 0; i < batch * length; ++i) tokens.push_back(ids[static_cast<std::size_t>(i) % ids.size()]);
    return tokens;
  }

  static TempDir* dir_;
  static std::string* output_;
  std::unique_ptr<host::PluginRegistry> registry_;
  std::unique_ptr<host::PluginInstance> instance_;
  Model* model_ = nullptr;
};
TempDir* ToyTransformer::dir_ = nullptr;
std::string* ToyTransformer::output_ = nullptr;

TEST_F(ToyTransformer, LearnsMoreThanUnigramStatisticsOnATinyCorpus) {
  const auto report = read_json(stage() / "training.json");
  const double uniform = std::log(400.0);
  EXPECT_LT(report["heldout_loss"].get<double>(), uniform - 1.0) << report;
  EXPECT_LT(report["heldout_loss"].get<double>(), report["unigram_heldout_loss"].get<double>()) << report;
  EXPECT_GT(report["tokens_per_second"].get<double>(), 0);
  EXPECT_NE(output_->find("held-out loss"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(stage() / "samples.txt"));
}

TEST_F(ToyTransformer, ExportsTransformerLensNamesAndShapes) {
  const SafetensorsFile file(stage() / "model.safetensors");
  EXPECT_EQ(file.metadata().at("format"), "dictlab.toy_transformer");
  EXPECT_NO_THROW(file.get("embed.W_E", {400, 32}));
  EXPECT_NO_THROW(file.get("pos_embed.W_pos", {32, 32}));
  EXPECT_NO_THROW(file.get("blocks.0.attn.W_Q", {2, 32, 16}));
  EXPECT_NO_THROW(file.get("blocks.0.attn.b_K", {2, 16}));
  EXPECT_NO_THROW(file.get("blocks.0.attn.W_O", {2, 16, 32}));
  EXPECT_NO_THROW(file.get("blocks.0.mlp.W_in", {32, 64}));
  EXPECT_NO_THROW(file.get("blocks.0.mlp.W_out", {64, 32}));
  EXPECT_NO_THROW(file.get("unembed.W_U", {32, 400}));
  EXPECT_EQ(nlohmann::json::parse(file.metadata().at("config"))["d_mlp"], 64);
  EXPECT_THROW(file.get("embed.W_E", {401, 32}), PluginError);
}

TEST_F(ToyTransformer, WritesTransformerLensConfigWithoutBos) {
  const auto config = read_json(stage() / "config.json");
  const auto lens = read_json(stage() / "transformer_lens_config.json");
  for (const char* key : {"d_vocab", "n_ctx", "d_model", "d_mlp", "n_heads", "d_head", "act_fn", "n_layers",
                          "normalization_type", "positional_embedding_type"})
    EXPECT_EQ(lens.at(key), config.at(key)) << key;
  EXPECT_EQ(lens.at("default_prepend_bos"), false);
  EXPECT_EQ(lens.at("tokenizer_prepends_bos"), false);
  EXPECT_EQ(read_json(stage() / "tokenizer_config.json").at("model_max_length"), config.at("n_ctx"));
}

TEST_F(ToyTransformer, ItsTokenizerLoadsInHuggingFaceWithTheModelsIds) {
  std::vector<std::string> texts = interop_texts();
  const auto result = check_with_hugging_face(
      stage(), texts, [&](const std::string& text) { return model_->encode(text); },
      [&](const std::vector<std::int32_t>& ids) { return model_->decode(ids); });
  if (result.skipped) GTEST_SKIP() << *result.skipped;
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::cout << result.output;
}

TEST_F(ToyTransformer, ActivationHookHasOneRowPerTokenAndTheMlpWidth) {
  const auto tokens = heldout_batch(3, 20);
  const auto activations = dictlab::activations_at(*model_, {tokens.data(), 3, 20}, "blocks.0.mlp.hook_post");
  EXPECT_EQ(model_->shape().d_mlp, 64);
  ASSERT_EQ(activations.size(), 3u * 20u * 64u);
  for (float a : activations) ASSERT_GE(a, 0.0f);  // after the ReLU
}

TEST_F(ToyTransformer, ReplacingActivationsWithThemselvesChangesNothing) {
  const auto tokens = heldout_batch(2, 32);
  const TokenBatch batch{tokens.data(), 2, 32};
  const auto activations = dictlab::activations_at(*model_, batch, kMlp);
  std::vector<float> seen;
  const double edited = model_->loss(batch, {{kMlp, [&](float* a, std::int64_t rows, std::int64_t width) {
                                               EXPECT_EQ(rows, 2 * 31);  // the loss predicts positions 1..31
                                               EXPECT_EQ(width, 64);
                                               seen.assign(a, a + rows * width);
                                             }}});
  EXPECT_EQ(edited, model_->loss(batch));
  // What the edit saw is what the read hook returns for the same positions
  // (to float rounding: a shorter batch takes another GEMM blocking).
  for (std::int64_t b = 0; b < 2; ++b)
    for (std::int64_t t = 0; t < 31; ++t)
      for (std::int64_t k = 0; k < 64; ++k)
        ASSERT_NEAR(seen[(b * 31 + t) * 64 + k], activations[(b * 32 + t) * 64 + k], 1e-5);
}

TEST_F(ToyTransformer, ZeroAblationOfTheMlpRaisesTheLoss) {
  const auto tokens = heldout_batch(2, 32);
  const TokenBatch batch{tokens.data(), 2, 32};
  const double clean = model_->loss(batch);
  const double ablated = model_->loss(batch, {{kMlp, [](float* a, std::int64_t rows, std::int64_t width) {
                                                std::fill(a, a + rows * width, 0.0f);
                                              }}});
  EXPECT_GT(ablated, clean);
}

// The residual stream is the sum of what writes into it, so the hooks read
// the places their names say.
TEST_F(ToyTransformer, HooksReadTheResidualStreamAndWhatWritesIntoIt) {
  const auto tokens = heldout_batch(2, 16);
  const std::vector<std::string> names = {"blocks.0.hook_resid_pre", "blocks.0.hook_attn_out",
                                          "blocks.0.hook_resid_mid", "blocks.0.hook_mlp_out",
                                          "blocks.0.hook_resid_post", "blocks.0.ln2.hook_normalized"};
  const auto a = model_->activations({tokens.data(), 2, 16}, names);
  ASSERT_EQ(a.size(), names.size());
  for (const auto& rows : a) ASSERT_EQ(rows.size(), 2u * 16u * 32u);
  for (std::size_t i = 0; i < a[0].size(); ++i) {
    ASSERT_NEAR(a[2][i], a[0][i] + a[1][i], 1e-5);
    ASSERT_NEAR(a[4][i], a[2][i] + a[3][i], 1e-5);
  }
  EXPECT_EQ(model_->hook_points().size(), 7u);
  EXPECT_EQ(dictlab::find_hook_point(model_->hook_points(), "blocks.0.mlp.hook_post").width, 64);
}

// As TransformerLens defines it, ln2.hook_normalized is LN2 before its
// weight and bias: (x - mean) / sqrt(var + 1e-5) of the residual stream.
TEST_F(ToyTransformer, Ln2HookNormalizedIsTheLayerNormBeforeItsWeightAndBias) {
  const auto tokens = heldout_batch(2, 16);
  const auto a = model_->activations({tokens.data(), 2, 16}, {"blocks.0.hook_resid_mid", "blocks.0.ln2.hook_normalized"});
  constexpr std::size_t kWidth = 32;
  for (std::size_t row = 0; row < a[0].size() / kWidth; ++row) {
    const float* x = a[0].data() + row * kWidth;
    double mean = 0, variance = 0;
    for (std::size_t i = 0; i < kWidth; ++i) mean += x[i] / static_cast<double>(kWidth);
    for (std::size_t i = 0; i < kWidth; ++i) variance += (x[i] - mean) * (x[i] - mean) / static_cast<double>(kWidth);
    for (std::size_t i = 0; i < kWidth; ++i)
      ASSERT_NEAR(a[1][row * kWidth + i], (x[i] - mean) / std::sqrt(variance + 1e-5), 1e-4) << "row " << row;
  }
}

TEST_F(ToyTransformer, AnEditAtTheResidualStreamReachesTheLogitsAndAnUnknownHookIsNamed) {
  const auto tokens = heldout_batch(1, 16);
  const TokenBatch batch{tokens.data(), 1, 16};
  const auto clean = model_->logits(batch);
  const auto same = model_->logits(batch, {{"blocks.0.hook_resid_post", [](float*, std::int64_t, std::int64_t) {}}});
  EXPECT_EQ(clean, same);
  const auto zeroed = model_->logits(batch, {{"blocks.0.hook_resid_post", [](float* a, std::int64_t rows, std::int64_t width) {
                                                std::fill(a, a + rows * width, 0.0f);
                                              }}});
  // With a zero residual stream the final LayerNorm leaves only its bias:
  // every position predicts the same distribution.
  for (std::int64_t t = 1; t < 16; ++t)
    for (std::int64_t v = 0; v < 400; v += 37) ASSERT_NEAR(zeroed[t * 400 + v], zeroed[v], 1e-5);
  try {
    model_->logits(batch, {{"blocks.0.hook_resid_psot", [](float*, std::int64_t, std::int64_t) {}}});
    FAIL() << "an unknown hook was accepted";
  } catch (const PluginError& error) {
    EXPECT_NE(std::string(error.what()).find("did you mean 'blocks.0.hook_resid_post'"), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(model_->logit_weights("blocks.0.mlp.hook_post").size(), 64u * 400u);
  EXPECT_EQ(model_->logit_weights("blocks.0.hook_resid_mid").size(), 32u * 400u);
}

TEST_F(ToyTransformer, GenerationIsSeededAndEditsSteerIt) {
  SamplingOptions options;
  options.max_new_tokens = 12;
  options.seed = 3;
  const std::string first = model_->generate("The ", options);
  EXPECT_EQ(first, model_->generate("The ", options));
  const std::string pinned =
      model_->generate("The ", options, {{kMlp, [](float* a, std::int64_t rows, std::int64_t width) {
                                            for (std::int64_t r = 0; r < rows; ++r) a[r * width + 5] = 50.0f;  // pin neuron 5 high
                                          }}});
  EXPECT_NE(first, pinned);
}

TEST_F(ToyTransformer, TooLongABatchIsAClearError) {
  const auto tokens = heldout_batch(1, 33);
  EXPECT_THROW(dictlab::activations_at(*model_, {tokens.data(), 1, 33}, kMlp), PluginError);
}

// A kill at any moment, and a corrupted newest checkpoint, must still end in
// exactly the weights of an uninterrupted run.
TEST(ToyTransformerResume, KillAndResumeGivesBitIdenticalWeights) {
  TempDir dir;
  write_tiny_corpus(dir / "corpus");
  const std::string options = "steps = 300\ncheckpoint_interval = 10\n";
  write_text(dir / "straight.toml", tiny_pipeline_toml(dir / "straight", dir / "corpus", options));
  write_text(dir / "killed.toml", tiny_pipeline_toml(dir / "killed", dir / "corpus", options));
  const auto straight = run_command({DICTLAB_BINARY, "run", (dir / "straight.toml").string()}, kEnv);
  ASSERT_EQ(straight.exit_code, 0) << straight.output;

  const auto checkpoints = dir / "killed/stages/model/checkpoint";
  {
    Process run({DICTLAB_BINARY, "run", (dir / "killed.toml").string()}, kEnv, dir / "killed.log");
    wait_for([&] { return std::filesystem::exists(checkpoints / "step-20.json"); }, std::chrono::seconds(120));
    run.signal(SIGKILL);
    run.wait();
  }
  ASSERT_TRUE(std::filesystem::exists(checkpoints / "step-20.json"));
  ASSERT_FALSE(std::filesystem::exists(dir / "killed/stages/model/manifest.json"));
  // Corrupt the newest checkpoint: the resume must notice and use the one before.
  std::int64_t newest = 0;
  for (const auto& entry : std::filesystem::directory_iterator(checkpoints)) {
    const std::string name = entry.path().filename().string();
    if (name.ends_with(".pt")) newest = std::max<std::int64_t>(newest, std::stoll(name.substr(5)));
  }
  {
    std::fstream file(checkpoints / ("step-" + std::to_string(newest) + ".pt"), std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(100);
    file.write("corrupt", 7);
  }

  const auto resumed = run_command({DICTLAB_BINARY, "run", (dir / "killed.toml").string()}, kEnv);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("is missing or corrupted (checksum mismatch)"), std::string::npos) << resumed.output;
  EXPECT_NE(resumed.output.find("resuming from the checkpoint at step"), std::string::npos) << resumed.output;
  EXPECT_EQ(read_text(dir / "killed/stages/model/model.safetensors"),
            read_text(dir / "straight/stages/model/model.safetensors"));
}

TEST(ToyTransformerTraining, ADivergingLossStopsTheStageAndKeepsTheLastCheckpoint) {
  TempDir dir;
  write_tiny_corpus(dir / "corpus");
  // Adam moves every weight by ~learning_rate per step: this one overflows.
  write_text(dir / "exp.toml", tiny_pipeline_toml(dir / "run", dir / "corpus",
                                                  "steps = 200\ncheckpoint_interval = 1\nlearning_rate = 1e30\n"));
  const auto result = run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_NE(result.output.find("the loss became"), std::string::npos) << result.output;
  EXPECT_NE(result.output.find("is kept. Lower learning_rate and run again."), std::string::npos) << result.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "run/stages/model/manifest.json"));
  EXPECT_TRUE(std::filesystem::exists(dir / "run/stages/tokens/manifest.json"));  // earlier stages untouched
}

TEST(ToyTransformerOptions, AHeadCountThatDoesNotDivideTheWidthIsRefused) {
  TempDir dir;
  write_tiny_corpus(dir / "corpus");
  write_text(dir / "exp.toml", tiny_pipeline_toml(dir / "run", dir / "corpus", "steps = 1\n") + "");
  std::string toml = read_text(dir / "exp.toml");
  toml.replace(toml.find("n_heads = 2"), 11, "n_heads = 3");
  write_text(dir / "exp.toml", toml);
  const auto result = run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.output.find("key 'n_heads': must divide d_model (32)"), std::string::npos) << result.output;
}

}  // namespace
}  // namespace dictlab::testing

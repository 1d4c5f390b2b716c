// Transcoders end to end: on the synthetic MLP, whose output is a known
// sparse function of its input, and on the toy transformer, spliced in place
// of its MLP for loss recovered.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
#include <numeric>
#include <random>

#include "dictlab/dictionary.h"
#include "dictlab/feature_store.h"
#include "dictlab/safetensors.h"
#include "plugin_registry.h"
#include "runner.h"
#include "tiny_corpus.h"

namespace dictlab::testing {
namespace {

const std::map<std::string, std::string> kEnv = {
    {"DICTLAB_PLUGIN_PATH", std::string(DICTLAB_TEST_PLUGIN_DIR) + ":" + DICTLAB_BUILD_PLUGIN_DIR}};

constexpr int kWidth = 64, kFeatures = 128, kDSae = 256, kK = 4;

nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

// The cfg's architecture, as SAELens' (Skip)Transcoder computes from the
// saved tensors: relu(topk(x W_enc + b_enc)) W_dec + b_dec (+ x W_skipᵀ).
struct SavedTranscoder {
  std::vector<float> w_enc, b_enc, w_dec, b_dec, w_skip;

  std::vector<float> predict(const std::vector<float>& x) const {
    std::vector<float> pre(kDSae);
    for (int j = 0; j < kDSae; ++j) {
      double sum = b_enc[j];
      for (int i = 0; i < kWidth; ++i) sum += x[i] * w_enc[i * kDSae + j];
      pre[j] = static_cast<float>(sum);
    }
    std::vector<int> order(kDSae);
    std::iota(order.begin(), order.end(), 0);
    std::partial_sort(order.begin(), order.begin() + kK, order.end(), [&](int a, int b) { return pre[a] > pre[b]; });
    std::vector<float> y(b_dec);
    for (int t = 0; t < kK; ++t) {
      const int j = order[t];
      if (pre[j] <= 0) continue;
      for (int o = 0; o < kWidth; ++o) y[o] += pre[j] * w_dec[j * kWidth + o];
    }
    if (!w_skip.empty())
      for (int o = 0; o < kWidth; ++o)
        for (int i = 0; i < kWidth; ++i) y[o] += w_skip[o * kWidth + i] * x[i];
    return y;
  }
};

// The synthetic MLP's input hook holds Σ c_f d_f and its output hook Σ c_f u_f
// over 4 features with c_f in [0.5, 1.5] (tests/plugins/synthetic_mlp.cc):
// an MLP that is a sparse function of its input.
struct SyntheticTask {
  std::vector<float> inputs, outputs;  // row-major [rows, 64]
};

SyntheticTask synthetic_task(const std::filesystem::path& model_dir, int rows) {
  const SafetensorsFile file(model_dir / "directions.safetensors");
  const auto d = file.get("directions", {kFeatures, kWidth}).as_floats();
  const auto u = file.get("output_directions", {kFeatures, kWidth}).as_floats();
  std::mt19937_64 rng(99);
  std::uniform_int_distribution<int> pick(0, kFeatures - 1);
  std::uniform_real_distribution<float> size(0.5f, 1.5f);
  SyntheticTask task{std::vector<float>(rows * kWidth, 0.0f), std::vector<float>(rows * kWidth, 0.0f)};
  for (int r = 0; r < rows; ++r)
    for (int a = 0; a < 4; ++a) {
      const int f = pick(rng);
      const float c = size(rng);
      for (int j = 0; j < kWidth; ++j) {
        task.inputs[r * kWidth + j] += c * d[f * kWidth + j];
        task.outputs[r * kWidth + j] += c * u[f * kWidth + j];
      }
    }
  return task;
}

// Σ‖y − ŷ‖² / Σ‖y − ȳ‖².
double fraction_of_variance_unexplained(const std::vector<float>& y, const std::vector<float>& prediction) {
  const std::size_t rows = y.size() / kWidth;
  std::vector<double> mean(kWidth, 0.0);
  for (std::size_t i = 0; i < y.size(); ++i) mean[i % kWidth] += y[i] / static_cast<double>(rows);
  double error = 0, variance = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    error += (y[i] - prediction[i]) * (y[i] - prediction[i]);
    variance += (y[i] - mean[i % kWidth]) * (y[i] - mean[i % kWidth]);
  }
  return error / variance;
}

std::string synthetic_experiment(const std::filesystem::path& dir) {
  std::string toml = tiny_pipeline_toml(dir / "run", dir / "corpus");
  toml = toml.substr(0, toml.find("[[stage]]\nname = \"model\""));
  return toml +
         "[[stage]]\nname = \"model\"\nplugin = \"synthetic_mlp\"\ninputs = [\"tokens\"]\n\n"
         "[[stage]]\nname = \"transcoder\"\nplugin = \"transcoder\"\ninputs = [\"model\", \"tokens\"]\n"
         "d_sae = 256\nk = 4\nskip = true\nbatch_size = 512\nbuffer_contexts = 64\nsteps = 600\n"
         "learning_rate = 0.003\nlog_interval = 100\n";
}

// The largest |a[i] - b[i]|.
double max_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double largest = 0;
  for (std::size_t i = 0; i < a.size(); ++i) largest = std::max<double>(largest, std::abs(a[i] - b[i]));
  return largest;
}

}  // namespace

// The prediction of a sparse function of the input: a linear map cannot
// give it (128 features in 64 dimensions overlap), TopK codes can. The
// saved file is checked the way SAELens reads it, and the loaded plugin
// against that.
TEST(Transcoder, LearnsAnMlpThatIsAKnownSparseFunctionOfItsInput) {
  TempDir dir;
  write_tiny_corpus(dir / "corpus");
  write_text(dir / "exp.toml", synthetic_experiment(dir.path()));
  const auto result = run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv);
  ASSERT_EQ(result.exit_code, 0) << result.output;

  const auto stage = dir / "run/stages/transcoder";
  const auto cfg = read_json(stage / "cfg.json");
  EXPECT_EQ(cfg["architecture"], "skip_transcoder");
  EXPECT_EQ(cfg["hook_name"], "blocks.0.ln2.hook_normalized");
  EXPECT_EQ(cfg["hook_name_out"], "blocks.0.hook_mlp_out");
  EXPECT_EQ(cfg["d_out"], kWidth);
  const SafetensorsFile file(stage / "sae_weights.safetensors");
  const SavedTranscoder saved{file.get("W_enc", {kWidth, kDSae}).as_floats(), file.get("b_enc", {kDSae}).as_floats(),
                              file.get("W_dec", {kDSae, kWidth}).as_floats(), file.get("b_dec", {kWidth}).as_floats(),
                              file.get("W_skip", {kWidth, kWidth}).as_floats()};

  constexpr int kRows = 400;
  const SyntheticTask task = synthetic_task(dir / "run/stages/model", kRows);
  std::vector<float> prediction;
  for (int r = 0; r < kRows; ++r) {
    const std::vector<float> x(task.inputs.begin() + r * kWidth, task.inputs.begin() + (r + 1) * kWidth);
    const auto y = saved.predict(x);
    prediction.insert(prediction.end(), y.begin(), y.end());
  }
  const double fvu = fraction_of_variance_unexplained(task.outputs, prediction);
  EXPECT_LT(fvu, 0.15) << result.output;
  std::cerr << "fraction of the output's variance unexplained: " << fvu << "\n";

  const auto registry = host::PluginRegistry::discover({DICTLAB_BUILD_PLUGIN_DIR});
  auto instance = registry.find("transcoder")->instantiate();
  ASSERT_TRUE(instance.ok());
  auto& transcoder = static_cast<DictionaryLearner&>(instance->get());
  transcoder.load(stage, "cpu");
  const DictionaryShape shape = transcoder.shape();
  EXPECT_TRUE(shape.is_transcoder());
  EXPECT_EQ(shape.written_hook(), "blocks.0.hook_mlp_out");
  std::vector<float> loaded(task.outputs.size());
  transcoder.reconstruct(task.inputs.data(), kRows, loaded.data());
  EXPECT_LT(max_abs_difference(loaded, prediction), 1e-3);
}

// Spliced in place of the toy transformer's MLP, the transcoder keeps most
// of what the MLP contributes to the loss; zero-ablating the MLP's output
// is the baseline.
TEST(Transcoder, SplicedForTheMlpRecoversLossBetweenZeroAblationAndTheCleanModel) {
  TempDir dir;
  write_tiny_corpus(dir / "corpus");
  write_text(dir / "exp.toml",
             tiny_pipeline_toml(dir / "run", dir / "corpus", "steps = 120\n") +
                 "\n[[stage]]\nname = \"transcoder\"\nplugin = \"transcoder\"\ninputs = [\"model\", \"tokens\"]\n"
                 "d_sae = 256\nk = 16\nbatch_size = 256\nbuffer_contexts = 32\nsteps = 300\nlearning_rate = 0.002\n"
                 "log_interval = 100\n"
                 "\n[[stage]]\nname = \"metrics\"\nplugin = \"sae_metrics\"\ninputs = [\"model\", \"tokens\", "
                 "\"transcoder\"]\ncontexts = 16\n"
                 "\n[[stage]]\nname = \"features\"\nplugin = \"feature_analysis\"\ninputs = [\"model\", \"tokens\", "
                 "\"transcoder\"]\ntokens = 4096\n");
  const auto result = run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::map<std::string, double> figure;
  const auto report = read_json(dir / "run/stages/metrics/report.json");
  for (const auto& f : report["figures"]) {
    const std::string mlp = f["labels"].contains("mlp") ? "/" + f["labels"]["mlp"].get<std::string>() : "";
    figure[f["name"].get<std::string>() + mlp] = f["value"].get<double>();
  }
  // Measured here: 0.96 of the loss and 0.89 of the MLP output's variance.
  const double recovered = figure.at("sae_eval_loss_recovered_ratio");
  EXPECT_GT(recovered, 0.8) << result.output;
  EXPECT_LE(recovered, 1.0) << result.output;
  EXPECT_LT(figure.at("sae_eval_model_loss/spliced"), figure.at("sae_eval_model_loss/zero_ablated"));
  EXPECT_GT(figure.at("sae_eval_model_loss/spliced"), figure.at("sae_eval_model_loss/clean") - 1e-3);
  EXPECT_LT(figure.at("sae_eval_kl_divergence/spliced"), figure.at("sae_eval_kl_divergence/zero_ablated"));
  // Against the MLP's output (hook_mlp_out), not its input.
  EXPECT_GT(figure.at("sae_eval_variance_explained_ratio"), 0.8) << result.output;
  // Its features are analysed where they are read (the MLP's input), and
  // their logit effects taken where they are written (the MLP's output).
  auto store = FeatureStore::open(dir / "run/stages/features/features.sqlite");
  ASSERT_EQ(store.size(), 256);
  int with_examples = 0;
  for (std::int64_t id = 0; id < store.size(); ++id) {
    const auto e = store.evidence(id);
    if (e.top_examples.empty()) continue;
    ++with_examples;
    EXPECT_EQ(e.positive_logits.size(), 10u) << "feature " << id;
  }
  EXPECT_GT(with_examples, 128) << "most features of a TopK transcoder fire";
  std::cerr << "loss recovered " << recovered << ", variance explained "
            << figure.at("sae_eval_variance_explained_ratio") << ", L0 " << figure.at("sae_eval_l0") << "\n";
}

// Pinning a transcoder feature reads its code at the MLP's input and moves
// the MLP's output by what that code's change decodes to. By hand: the
// model's MLP output y replaced by y + decode(f') - decode(f), f the codes
// of the MLP's input and f' the same with the feature set to the value.
TEST(Transcoder, PinningAFeatureMovesTheMlpOutputByWhatItsChangedCodeDecodesTo) {
  TempDir dir;
  write_tiny_corpus(dir / "corpus");
  write_text(dir / "exp.toml",
             tiny_pipeline_toml(dir / "run", dir / "corpus", "steps = 30\n") +
                 "\n[[stage]]\nname = \"transcoder\"\nplugin = \"transcoder\"\ninputs = [\"model\", \"tokens\"]\n"
                 "d_sae = 64\nk = 8\nbatch_size = 128\nbuffer_contexts = 16\nsteps = 30\n");
  const auto result = run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, kEnv);
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const auto registry = host::PluginRegistry::discover({DICTLAB_BUILD_PLUGIN_DIR});
  auto model_instance = registry.find("toy_transformer")->instantiate();
  auto transcoder_instance = registry.find("transcoder")->instantiate();
  ASSERT_TRUE(model_instance.ok() && transcoder_instance.ok());
  auto& model = static_cast<Model&>(model_instance->get());
  auto& transcoder = static_cast<DictionaryLearner&>(transcoder_instance->get());
  model.load(dir / "run/stages/model", "cpu");
  transcoder.load(dir / "run/stages/transcoder", "cpu");
  const DictionaryShape shape = transcoder.shape();
  ASSERT_TRUE(shape.is_transcoder());

  const std::vector<std::int32_t> ids = model.encode("The quick brown fox");
  const TokenBatch batch{ids.data(), 1, static_cast<std::int64_t>(ids.size())};
  const std::int64_t rows = batch.length, d_sae = shape.d_sae, d_out = shape.d_out;
  const std::vector<float> x = activations_at(model, batch, shape.hook);
  std::vector<float> y = activations_at(model, batch, shape.output_hook);
  std::vector<float> codes(static_cast<std::size_t>(rows * d_sae));
  transcoder.encode(x.data(), rows, codes.data());
  // The feature of the first position's largest code, pinned well above it.
  const std::int64_t feature = std::max_element(codes.begin(), codes.begin() + d_sae) - codes.begin();
  const float value = 2 * codes[static_cast<std::size_t>(feature)] + 1;

  std::vector<float> changed = codes;
  for (std::int64_t r = 0; r < rows; ++r) changed[static_cast<std::size_t>(r * d_sae + feature)] = value;
  std::vector<float> before(y.size()), after(y.size());
  transcoder.decode(codes.data(), rows, before.data());
  transcoder.decode(changed.data(), rows, after.data());
  for (std::size_t i = 0; i < y.size(); ++i) y[i] += after[i] - before[i];
  const ActivationEdit replace = [&y](float* a, std::int64_t, std::int64_t) { std::copy(y.begin(), y.end(), a); };
  const std::vector<float> by_hand = model.logits(batch, {{shape.output_hook, replace}});

  const std::vector<float> directions = decoder_directions(transcoder);
  const std::vector<float> pinned =
      model.logits(batch, pin_feature(transcoder, directions.data() + feature * d_out, feature, value));
  EXPECT_LT(max_abs_difference(pinned, by_hand), 1e-4);
  EXPECT_GT(max_abs_difference(pinned, model.logits(batch)), 1e-2) << "the pin must change the logits";
}

}  // namespace dictlab::testing

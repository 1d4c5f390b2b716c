// Model plugin: the paper's one-layer transformer (attention + a ReLU MLP of
// 512 neurons on a residual stream of 128), trained with LibTorch.
#include <fstream>
#include <random>

#include "dictlab/bpe_tokenizer.h"
#include "dictlab/safetensors.h"
#include "dictlab/sdk.h"
#include "dictlab/token_shards.h"
#include "dictlab/tokenizer_files.h"
#include "next_token_sampler.h"
#include "ngram_baselines.h"
#include "trainer.h"
#include "training_guards.h"
#include "transformer.h"
#include "transformer_lens_config.h"

namespace {

namespace fs = std::filesystem;
using dictlab::OptionError;
using dictlab::OptionSpec;
using dictlab::OptionType;
using dictlab::PluginError;
using toy_transformer::Transformer;
using toy_transformer::TransformerConfig;

dictlab::PluginDescriptor describe() {
  using V = std::vector<std::string>;
  return {.name = "toy_transformer",
          .version = "1.0.0",
          .summary = "One-layer transformer (attention + MLP) trained on a tokenizer stage's shards.",
          .options = {
              OptionSpec{"d_model", OptionType::kInt, "Residual stream width.", std::int64_t{128}}.at_least(1),
              OptionSpec{"d_mlp", OptionType::kInt, "MLP neurons (what dictionaries decompose).", std::int64_t{512}}
                  .at_least(1),
              OptionSpec{"n_heads", OptionType::kInt, "Attention heads; must divide d_model.", std::int64_t{4}}
                  .at_least(1),
              OptionSpec{"context_length", OptionType::kInt, "Tokens of context.", std::int64_t{128}}.at_least(1),
              OptionSpec{"activation", OptionType::kString, "MLP nonlinearity.", std::string("relu")}.one_of(
                  {"relu", "gelu"}),
              OptionSpec{"batch_size", OptionType::kInt, "Contexts per step.", std::int64_t{32}}.at_least(1),
              OptionSpec{"steps", OptionType::kInt, "Optimizer steps.", std::int64_t{2000}}.at_least(1),
              OptionSpec{"learning_rate", OptionType::kFloat, "Peak AdamW learning rate.", 1e-3}.above(0.0),
              {"min_learning_rate_ratio", OptionType::kFloat, "Final learning rate as a share of the peak.", 0.1},
              {"warmup_steps", OptionType::kInt, "Linear warmup steps.", std::int64_t{100}},
              {"weight_decay", OptionType::kFloat, "AdamW decay of weight matrices.", 0.05},
              {"grad_clip", OptionType::kFloat, "Global gradient norm clip; 0 for none.", 1.0},
              OptionSpec{"eval_interval", OptionType::kInt, "Steps between held-out evaluations.", std::int64_t{200}}
                  .at_least(1),
              OptionSpec{"eval_batches", OptionType::kInt, "Batches per held-out evaluation.", std::int64_t{16}}
                  .at_least(1),
              OptionSpec{"checkpoint_interval", OptionType::kInt, "Steps between checkpoints.", std::int64_t{200}}
                  .at_least(1),
              {"sample_prompts", OptionType::kStringList, "Prompts continued after training, into samples.txt.",
               V{"The ", "def ", "<div class=\"", "Der ", "Le ", "В ", "الله ", "ACGT", "\\begin{"}},
              {"sample_tokens", OptionType::kInt, "Tokens generated per prompt.", std::int64_t{48}},
          },
          .data_parallel = true};
}

class ToyTransformer : public dictlab::Model {
 public:
  void train(dictlab::RunContext& context) override {
    const auto& options = context.options();
    if (options.get_int("d_model") % options.get_int("n_heads") != 0)
      throw OptionError("n_heads", "must divide d_model (" + std::to_string(options.get_int("d_model")) + ")");

    const auto& tokens_stage = context.input(dictlab::PluginKind::kTokenizer);
    const auto info = dictlab::TokenSetInfo::read(tokens_stage.dir);
    const dictlab::TokenShard train_tokens(tokens_stage.dir / "tokens.train.bin", info);
    const dictlab::TokenShard heldout_tokens(tokens_stage.dir / "tokens.heldout.bin", info);

    config_ = {info.vocab_size, options.get_int("context_length"), options.get_int("d_model"),
               options.get_int("d_mlp"), options.get_int("n_heads"), options.get_string("activation")};
    device_ = torch_training::checked_device(context.device());
    // Every core, unless the launcher divided them among ranks already.
    if (!std::getenv("OMP_NUM_THREADS"))
      torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    model_ = std::make_unique<Transformer>(config_);
    model_->initialize(context.seed());
    model_->to(*device_);
    tokenizer_.emplace(dictlab::BpeTokenizer::from_file(dictlab::bpe_vocabulary_file(tokens_stage.dir)));

    const auto training = toy_transformer::TrainingOptions::from(options);
    const auto result = toy_transformer::train_transformer(*model_, training, context, train_tokens, heldout_tokens);
    if (context.stop_requested()) return;

    write_artifacts(context, tokens_stage.dir);
    const auto baselines = toy_transformer::ngram_baselines(train_tokens, heldout_tokens, info.vocab_size);
    const nlohmann::json report = {{"steps", result.steps},
                                   {"resumed_from_step", result.resumed_from_step},
                                   {"train_loss", result.train_loss},
                                   {"heldout_loss", result.eval_loss},
                                   {"unigram_heldout_loss", baselines.unigram_loss},
                                   {"bigram_heldout_loss", baselines.bigram_loss},
                                   {"tokens_per_second", result.tokens_per_second},
                                   {"train_tokens", train_tokens.size()},
                                   {"heldout_tokens", heldout_tokens.size()}};
    dictlab::AtomicFile::write_all(context.stage_dir() / "training.json", report.dump(2) + "\n");
    context.metrics().gauge("model_baseline_loss", "Held-out loss of n-gram baselines.", {{"baseline", "unigram"}})
        .set(baselines.unigram_loss);
    context.metrics().gauge("model_baseline_loss", "Held-out loss of n-gram baselines.", {{"baseline", "bigram"}})
        .set(baselines.bigram_loss);
    char line[200];
    std::snprintf(line, sizeof line, "held-out loss %.4f nats/token (unigram %.4f, bigram %.4f)", result.eval_loss,
                  baselines.unigram_loss, baselines.bigram_loss);
    context.log().info(line);
    write_samples(context);
  }

  void load(const fs::path& stage_dir, const std::string& device) override {
    std::ifstream in(stage_dir / "config.json");
    if (!in) throw PluginError("no config.json in " + stage_dir.string() + " (is it a finished toy_transformer stage?)");
    config_ = TransformerConfig::from_json(nlohmann::json::parse(in));
    device_ = torch_training::checked_device(device);
    model_ = std::make_unique<Transformer>(config_);
    const dictlab::SafetensorsFile file(stage_dir / "model.safetensors");
    std::map<std::string, torch::Tensor> state;
    for (const auto& [name, tensor] : model_->transformer_lens_state()) {
      const auto& stored = file.get_f32(name, tensor.sizes().vec());
      state[name] = torch::from_blob(const_cast<char*>(stored.bytes.data()), tensor.sizes(), torch::kFloat).clone();
    }
    model_->load_transformer_lens_state(state);
    for (auto& [name, tensor] : model_->parameters()) tensor.set_requires_grad(false);
    model_->to(*device_);
    tokenizer_.emplace(dictlab::BpeTokenizer::from_file(dictlab::bpe_vocabulary_file(stage_dir)));
    stage_dir_ = stage_dir;
  }

  dictlab::ModelShape shape() const override {
    return {config_.d_vocab, config_.n_ctx, config_.d_model, config_.d_mlp, 1};
  }

  std::vector<dictlab::HookPoint> planned_hook_points(const dictlab::Options& options) const override {
    return dictlab::transformer_block_hooks(1, options.get_int("d_model"), options.get_int("d_mlp"));
  }
  std::vector<dictlab::HookPoint> hook_points() const override {
    return dictlab::transformer_block_hooks(1, config_.d_model, config_.d_mlp);
  }
  // The paper decomposes the MLP's neurons.
  std::string default_hook() const override { return "blocks.0.mlp.hook_post"; }

  std::vector<std::vector<float>> activations(const dictlab::TokenBatch& tokens,
                                              const std::vector<std::string>& hooks) override {
    torch::NoGradGuard no_grad;
    torch_training::HookRun run({}, hooks);
    model_->forward(to_tensor(tokens), &run);
    run.check_all_seen(hook_points());
    return run.take_captures();
  }

  double loss(const dictlab::TokenBatch& tokens, const dictlab::HookEdits& edits) override {
    torch::NoGradGuard no_grad;
    torch_training::HookRun run(edits);
    const double loss = model_->loss(to_tensor(tokens), &run).item<double>();
    run.check_all_seen(hook_points());
    return loss;
  }

  std::vector<float> logits(const dictlab::TokenBatch& tokens, const dictlab::HookEdits& edits) override {
    torch::NoGradGuard no_grad;
    torch_training::HookRun run(edits);
    const torch::Tensor logits = model_->forward(to_tensor(tokens), &run).to(torch::kCPU).contiguous();
    run.check_all_seen(hook_points());
    return {logits.data_ptr<float>(), logits.data_ptr<float>() + logits.numel()};
  }

  std::vector<float> logit_weights(std::string_view hook) override {
    torch::NoGradGuard no_grad;
    const auto point = dictlab::find_hook_point(hook_points(), hook);
    const auto state = model_->transformer_lens_state();
    if (point.name.ends_with("hook_normalized"))
      throw PluginError("the MLP's input " + point.name + " reaches the logits only through the MLP's nonlinearity");
    torch::Tensor weights = state.at("unembed.W_U");
    if (point.name == "blocks.0.mlp.hook_post") weights = torch::matmul(state.at("blocks.0.mlp.W_out"), weights);
    weights = weights.to(torch::kCPU).contiguous();
    return {weights.data_ptr<float>(), weights.data_ptr<float>() + weights.numel()};
  }

  // model.safetensors already holds the weights, config and tokenizer.
  bool export_bundle(const fs::path& file) const override {
    fs::copy_file(stage_dir_ / "model.safetensors", file, fs::copy_options::overwrite_existing);
    return true;
  }

  std::vector<std::int32_t> encode(std::string_view text) const override { return tokenizer_->encode(text); }
  std::string decode(const std::vector<std::int32_t>& ids) const override { return tokenizer_->decode(ids); }

  std::string generate(std::string_view prompt, const dictlab::SamplingOptions& options,
                       const dictlab::HookEdits& edits) override {
    torch::NoGradGuard no_grad;
    std::vector<std::int32_t> ids = encode(prompt);
    if (ids.empty()) ids.push_back(tokenizer_->eos_id());  // an empty prompt starts a new document
    const std::size_t prompt_length = ids.size();
    std::mt19937_64 rng(options.seed);
    for (std::int64_t i = 0; i < options.max_new_tokens; ++i) {
      const std::int64_t start = std::max<std::int64_t>(0, static_cast<std::int64_t>(ids.size()) - config_.n_ctx);
      torch::Tensor window = torch::tensor(std::vector<std::int64_t>(ids.begin() + start, ids.end())).view({1, -1});
      torch_training::HookRun run(edits);
      torch::Tensor logits = model_->forward(window.to(*device_), &run)[0][-1].to(torch::kCPU).to(torch::kDouble);
      run.check_all_seen(hook_points());
      const std::int32_t next = torch_training::sample_next_token(logits, options, rng);
      if (next == tokenizer_->eos_id()) break;
      ids.push_back(next);
    }
    return decode(std::vector<std::int32_t>(ids.begin() + static_cast<std::ptrdiff_t>(prompt_length), ids.end()));
  }

 private:
  torch::Tensor to_tensor(const dictlab::TokenBatch& tokens) const {
    if (tokens.length > config_.n_ctx)
      throw PluginError("batch length " + std::to_string(tokens.length) + " exceeds the context length " +
                        std::to_string(config_.n_ctx));
    return torch::from_blob(const_cast<std::int32_t*>(tokens.ids), {tokens.batch, tokens.length}, torch::kInt)
        .to(torch::kLong)
        .to(*device_);
  }

  void write_artifacts(dictlab::RunContext& context, const fs::path& tokens_dir) {
    const fs::path dir = context.stage_dir();
    dictlab::AtomicFile::write_all(dir / "config.json", config_.to_json().dump(2) + "\n");
    dictlab::write_tokenizer_files(tokens_dir, dir, config_.n_ctx);
    dictlab::AtomicFile::write_all(dir / "transformer_lens_config.json",
                                   toy_transformer::transformer_lens_config(config_).dump(2) + "\n");
    // One file for Python tools and the browser: TransformerLens names, the
    // config and the vocabulary in the metadata.
    dictlab::SafetensorsWriter writer;
    for (const auto& [name, tensor] : model_->transformer_lens_state()) {
      const torch::Tensor cpu = tensor.to(torch::kCPU).contiguous();
      writer.add_f32(name, cpu.sizes().vec(), cpu.data_ptr<float>());
    }
    writer.set_metadata("format", "dictlab.toy_transformer");
    writer.set_metadata("config", config_.to_json().dump());
    std::ifstream vocabulary(dir / dictlab::kBpeVocabularyFile);
    writer.set_metadata("tokenizer", std::string(std::istreambuf_iterator<char>(vocabulary), {}));
    writer.write(dir / "model.safetensors");
  }

  void write_samples(dictlab::RunContext& context) {
    std::string text;
    const auto& options = context.options();
    for (const auto& prompt : options.get_strings("sample_prompts")) {
      dictlab::SamplingOptions sampling;
      sampling.max_new_tokens = options.get_int("sample_tokens");
      sampling.temperature = 0.8;
      sampling.top_k = 40;
      sampling.seed = context.seed();
      const std::string continuation = generate(prompt, sampling, {});
      text += "--- " + prompt + "\n" + prompt + continuation + "\n";
    }
    dictlab::AtomicFile::write_all(context.stage_dir() / "samples.txt", text);
    context.log().info("samples (also in samples.txt):\n" + text);
  }

  TransformerConfig config_;
  fs::path stage_dir_;
  std::optional<torch::Device> device_;
  std::unique_ptr<Transformer> model_;
  std::optional<dictlab::BpeTokenizer> tokenizer_;
};

}  // namespace

DICTLAB_PLUGIN(ToyTransformer, describe)

// Model plugin: a pretrained llama-family model from a GGUF file (SmolLM2,
// Llama, ...), run in LibTorch with the hooks TransformerLens names. Its
// stage imports the file (checks it, records its checksum); nothing trains.
#include <fstream>
#include <random>
#include <thread>

#include "dictlab/sdk.h"
#include "gguf_source.h"
#include "pretrained_files.h"
#include "llama_forward.h"
#include "next_token_sampler.h"
#include "training_guards.h"

namespace {

namespace fs = std::filesystem;
using dictlab::OptionError;
using dictlab::OptionSpec;
using dictlab::OptionType;
using dictlab::PluginError;
using gguf_model::LlamaCache;
using gguf_model::LlamaModel;

dictlab::PluginDescriptor describe() {
  return {.name = "gguf_model",
          .version = "1.0.0",
          .summary = "A pretrained llama-family model (SmolLM2, Llama...) from a GGUF file, hooked at every layer.",
          .options = {
              {"file", OptionType::kString,
               "The GGUF file (F32, F16, BF16, Q8_0, Q4_0/1, Q5_0/1, K-quants), or a Hugging Face folder "
               "(config.json, *.safetensors, tokenizer.json).",
               std::nullopt},
              OptionSpec{"context_length", OptionType::kInt, "Tokens per window that later stages feed the model.",
                         std::int64_t{128}}
                  .at_least(2),
              OptionSpec{"dtype", OptionType::kString, "Weights in memory: float32, or bfloat16 to halve it.",
                         std::string("float32")}
                  .one_of({"float32", "bfloat16"}),
              {"prepend_bos", OptionType::kBool,
               "Put the file's BOS token before every window; its position is left out of every output.", false},
          }};
}

// The host has checked the option against the declared choices; another name
// here comes from a stage.json edited by hand.
torch::Dtype weights_dtype(const std::string& name) {
  if (name == "float32") return torch::kFloat;
  if (name == "bfloat16") return torch::kBFloat16;
  throw PluginError("unknown weights dtype '" + name + "'");
}

// Drops the first position of every window: activations [batch, 1 + length, width] -> [batch, length, width].
void drop_first_position(std::vector<float>& rows, std::int64_t batch, std::int64_t length) {
  if (rows.empty()) return;
  const auto width = static_cast<std::int64_t>(rows.size()) / (batch * (length + 1));
  std::vector<float> kept;
  kept.reserve(static_cast<std::size_t>(batch * length * width));
  for (std::int64_t b = 0; b < batch; ++b) {
    const auto first = rows.begin() + (b * (length + 1) + 1) * width;
    kept.insert(kept.end(), first, first + length * width);
  }
  rows = std::move(kept);
}

void check_exists(const fs::path& path) {
  if (!fs::is_regular_file(path) && !gguf_model::is_hugging_face_folder(path))
    throw OptionError("file", "no such GGUF file or Hugging Face folder: " + path.string());
}

// The block a hook point belongs to ("blocks.7.hook_resid_post": 7).
std::int64_t block_of(const dictlab::HookPoint& point) { return std::stoll(point.name.substr(7)); }

class GgufModel : public dictlab::Model {
 public:
  void train(dictlab::RunContext& context) override {
    const auto& options = context.options();
    const fs::path path = options.get_string("file");
    check_exists(path);
    const auto source = gguf_model::GgufSource::of(path);
    check_tokens_stage(context, source);
    const auto config = gguf_model::read_pretrained_config(path);
    const auto tokenizer = gguf_model::read_pretrained_tokenizer(path);
    if (options.get_int("context_length") + 1 > config.context_length)
      throw OptionError("context_length", "exceeds the model's " + std::to_string(config.context_length));
    if (options.get_bool("prepend_bos") && !tokenizer.bos_id())
      throw OptionError("prepend_bos", path.string() + " names no BOS token");
    const nlohmann::json stage = {{"format", "dictlab.gguf_model/1"},
                                  {"model_file", source.to_json()},
                                  {"context_length", options.get_int("context_length")},
                                  {"dtype", options.get_string("dtype")},
                                  {"prepend_bos", options.get_bool("prepend_bos")},
                                  {"n_layers", config.n_layers},
                                  {"d_model", config.d_model},
                                  {"d_mlp", config.d_mlp},
                                  {"d_vocab", config.d_vocab}};
    dictlab::AtomicFile::write_all(context.stage_dir() / "model.json", stage.dump(2) + "\n");
    write_hugging_face_files(context, path);
    context.log().info(path.filename().string() + ": " + std::to_string(config.n_layers) + " blocks, d_model " +
                       std::to_string(config.d_model) + ", vocabulary " + std::to_string(config.d_vocab));
  }

  std::vector<dictlab::HookPoint> planned_hook_points(const dictlab::Options& options) const override {
    const fs::path path = options.get_string("file");
    check_exists(path);
    const auto config = gguf_model::read_pretrained_config(path);
    return dictlab::transformer_block_hooks(config.n_layers, config.d_model, config.d_mlp);
  }

  void load(const fs::path& stage_dir, const std::string& device) override {
    std::ifstream in(stage_dir / "model.json");
    if (!in) throw PluginError("no model.json in " + stage_dir.string() + " (is it a finished gguf_model stage?)");
    const auto stage = nlohmann::json::parse(in, nullptr, false);
    if (stage.is_discarded()) throw PluginError((stage_dir / "model.json").string() + ": not valid JSON");
    const auto source = gguf_model::GgufSource::from_json(stage.value("model_file", nlohmann::json()), stage_dir);
    source.check_unchanged(stage_dir.string());
    device_ = torch_training::checked_device(device);
    torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    model_.emplace(gguf_model::load_pretrained_model(source.file, weights_dtype(stage.at("dtype"))));
    tokenizer_.emplace(gguf_model::read_pretrained_tokenizer(source.file));
    context_length_ = stage.at("context_length");
    prepend_bos_ = stage.at("prepend_bos");
  }

  dictlab::ModelShape shape() const override {
    const auto& c = model_->config();
    return {c.d_vocab, context_length_, c.d_model, c.d_mlp, c.n_layers};
  }
  std::vector<dictlab::HookPoint> hook_points() const override { return model_->hook_points(); }
  // Mid-depth residual stream: where most published dictionaries of
  // pretrained models read.
  std::string default_hook() const override {
    return "blocks." + std::to_string(model_->config().n_layers / 2) + ".hook_resid_post";
  }

  std::vector<std::vector<float>> activations(const dictlab::TokenBatch& tokens,
                                              const std::vector<std::string>& hooks) override {
    torch::NoGradGuard no_grad;
    torch_training::HookRun run({}, hooks);
    // Only the blocks up to the deepest hook asked for run: a harvest at the
    // middle of the model costs half a forward pass.
    std::int64_t blocks = 0;
    for (const auto& hook : hooks) blocks = std::max(blocks, block_of(dictlab::find_hook_point(hook_points(), hook)) + 1);
    model_->residual_stream(window_tensor(tokens), blocks, &run);
    run.check_all_seen(hook_points());
    auto captured = run.take_captures();
    if (prepend_bos_)
      for (auto& rows : captured) drop_first_position(rows, tokens.batch, tokens.length);
    return captured;
  }

  double loss(const dictlab::TokenBatch& tokens, const dictlab::HookEdits& edits) override {
    torch::NoGradGuard no_grad;
    const torch::Tensor logits = forward_logits(tokens, edits);
    const torch::Tensor ids = torch::from_blob(const_cast<std::int32_t*>(tokens.ids), {tokens.batch, tokens.length},
                                               torch::kInt).to(torch::kLong);
    const auto L = tokens.length;
    return torch::cross_entropy_loss(logits.narrow(1, 0, L - 1).reshape({-1, logits.size(2)}),
                                     ids.narrow(1, 1, L - 1).reshape({-1}))
        .item<double>();
  }

  std::vector<float> logits(const dictlab::TokenBatch& tokens, const dictlab::HookEdits& edits) override {
    torch::NoGradGuard no_grad;
    const torch::Tensor logits = forward_logits(tokens, edits).contiguous();
    return {logits.data_ptr<float>(), logits.data_ptr<float>() + logits.numel()};
  }

  // The unembedding with the final RMSNorm's weight folded in (its scaling
  // by the stream's norm left out), through W_down from mlp.hook_post.
  std::vector<float> logit_weights(std::string_view hook) override {
    torch::NoGradGuard no_grad;
    const auto point = dictlab::find_hook_point(hook_points(), hook);
    if (point.name.ends_with("hook_normalized"))
      throw PluginError("the MLP's input " + point.name + " reaches the logits only through the MLP's nonlinearity");
    const auto& w = model_->weights();
    torch::Tensor unembed = (w.unembed.to(torch::kFloat) * w.output_norm.to(torch::kFloat)).t();  // [d_model, vocab]
    if (point.name.ends_with("mlp.hook_post"))
      unembed = torch::matmul(w.blocks.at(static_cast<std::size_t>(block_of(point))).down.to(torch::kFloat), unembed);
    unembed = unembed.contiguous();
    return {unembed.data_ptr<float>(), unembed.data_ptr<float>() + unembed.numel()};
  }

  // The page's model runs the toy only; `dictlab serve` runs this one.
  bool export_bundle(const fs::path&) const override { return false; }

  std::vector<std::int32_t> encode(std::string_view text) const override { return tokenizer_->encode(text); }
  std::string decode(const std::vector<std::int32_t>& ids) const override { return tokenizer_->decode(ids); }

  std::string generate(std::string_view prompt, const dictlab::SamplingOptions& options,
                       const dictlab::HookEdits& edits) override {
    torch::NoGradGuard no_grad;
    // A prompt is the start of a text as the model's authors feed it: BOS
    // when the file says so, control tokens ("<|im_start|>") as themselves.
    std::vector<std::int32_t> ids = tokenizer_->encode(prompt, /*add_special=*/true, /*parse_special=*/true);
    if (ids.empty() && tokenizer_->bos_id()) ids.push_back(*tokenizer_->bos_id());
    if (ids.empty()) throw PluginError("an empty prompt, and the model has no BOS token to start from");
    LlamaCache cache;
    std::mt19937_64 rng(options.seed);
    std::vector<std::int32_t> generated;
    torch::Tensor input = torch::tensor(std::vector<std::int64_t>(ids.begin(), ids.end())).view({1, -1});
    for (std::int64_t i = 0; i < options.max_new_tokens; ++i) {
      if (cache.length() + input.size(1) > model_->config().context_length) break;
      torch_training::HookRun run(edits);
      const torch::Tensor logits = model_->forward(input.to(*device_), &cache, &run)[0][-1];
      run.check_all_seen(hook_points());
      const std::int32_t next = torch_training::sample_next_token(logits, options, rng);
      if (tokenizer_->is_end_of_generation(next)) break;
      generated.push_back(next);
      input = torch::tensor({static_cast<std::int64_t>(next)}).view({1, 1});
    }
    return tokenizer_->decode_text(generated);
  }

 private:
  // The tokens stage, when the model stage reads one, must have used this
  // very file's tokenizer.
  static void check_tokens_stage(dictlab::RunContext& context, const gguf_model::GgufSource& source) {
    for (const auto& input : context.inputs()) {
      if (input.kind != dictlab::PluginKind::kTokenizer) continue;
      std::ifstream in(input.dir / "tokens.json");
      const auto info = nlohmann::json::parse(in, nullptr, false);
      const auto recorded = info.is_object() ? info.value("model_file", nlohmann::json()) : nlohmann::json();
      if (!recorded.is_object() || recorded.value("sha256", "") != source.sha256)
        throw OptionError("file", "the tokens of stage '" + input.stage + "' were not made by this file's tokenizer (" +
                                      source.file.string() + "); give that gguf_tokens stage the same file");
    }
  }

  // The Hugging Face files beside the model, so that
  // AutoTokenizer.from_pretrained(stage_dir) takes strings as it does.
  // Byte-level BPE only so far: another tokenizer costs the files, not the stage.
  static void write_hugging_face_files(dictlab::RunContext& context, const fs::path& path) {
    try {
      gguf_model::write_hugging_face_files(path, context.stage_dir());
    } catch (const PluginError& error) {
      context.log().warn(std::string("no Hugging Face tokenizer files: ") + error.what());
    }
  }

  // Token ids [batch, length] as the model reads them: after a BOS when asked.
  torch::Tensor window_tensor(const dictlab::TokenBatch& tokens) const {
    if (tokens.length > context_length_)
      throw PluginError("batch length " + std::to_string(tokens.length) + " exceeds the context length " +
                        std::to_string(context_length_));
    torch::Tensor ids = torch::from_blob(const_cast<std::int32_t*>(tokens.ids), {tokens.batch, tokens.length},
                                         torch::kInt).to(torch::kLong);
    if (ids.max().item<std::int64_t>() >= model_->config().d_vocab || ids.min().item<std::int64_t>() < 0)
      throw PluginError("a token id is outside the model's vocabulary of " + std::to_string(model_->config().d_vocab));
    if (prepend_bos_) ids = torch::cat({torch::full({tokens.batch, 1}, *tokenizer_->bos_id(), torch::kLong), ids}, 1);
    return ids.to(*device_);
  }

  // Logits [batch, length, vocab] on the CPU, the BOS position dropped; the
  // edits never see the BOS position either.
  torch::Tensor forward_logits(const dictlab::TokenBatch& tokens, const dictlab::HookEdits& edits) {
    dictlab::HookEdits shifted;
    for (const auto& edit : edits) shifted.push_back({edit.hook, prepend_bos_ ? skip_bos(edit.edit, tokens) : edit.edit});
    torch_training::HookRun run(shifted);
    torch::Tensor logits = model_->forward(window_tensor(tokens), nullptr, &run);
    run.check_all_seen(hook_points());
    if (prepend_bos_) logits = logits.narrow(1, 1, tokens.length);
    return logits.to(torch::kCPU, torch::kFloat);
  }

  static dictlab::ActivationEdit skip_bos(const dictlab::ActivationEdit& edit, const dictlab::TokenBatch& tokens) {
    if (!edit) return edit;
    return [edit, batch = tokens.batch](float* a, std::int64_t rows, std::int64_t width) {
      const std::int64_t per_window = rows / batch;
      for (std::int64_t b = 0; b < batch; ++b) edit(a + (b * per_window + 1) * width, per_window - 1, width);
    };
  }

  std::optional<torch::Device> device_;
  std::optional<LlamaModel> model_;
  std::optional<gguf_model::GgufTokenizer> tokenizer_;
  std::int64_t context_length_ = 0;
  bool prepend_bos_ = false;
};

}  // namespace

DICTLAB_PLUGIN(GgufModel, describe)

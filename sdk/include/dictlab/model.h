#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dictlab/descriptor.h"
#include "dictlab/errors.h"
#include "dictlab/hook_points.h"
#include "dictlab/plugin.h"
#include "dictlab/run_context.h"

namespace dictlab {

struct ModelShape {
  std::int64_t vocab_size = 0;
  // The length of the token windows stages feed the model (harvesting,
  // evaluation); a pretrained model may accept longer ones.
  std::int64_t context_length = 0;
  std::int64_t d_model = 0;
  std::int64_t d_mlp = 0;
  std::int64_t n_layers = 0;
};

// Row-major token ids [batch, length]; length at most the context length.
struct TokenBatch {
  const std::int32_t* ids = nullptr;
  std::int64_t batch = 0;
  std::int64_t length = 0;
};

struct SamplingOptions {
  std::int64_t max_new_tokens = 64;
  double temperature = 1.0;  // 0 picks the most likely token
  std::int64_t top_k = 0;    // 0 samples from the whole vocabulary
  std::uint64_t seed = 0;
};

// A language model whose activations the dictionary learners decompose. The
// stage trains (or imports) the model and leaves it in stage_dir; later
// stages load it with open_input_model() and use the hooks.
class Model : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::kModel;
  virtual void train(RunContext& context) = 0;
  // The hook points a stage with these options will have, known before it
  // runs, so that `dictlab validate` checks the hooks other stages name.
  virtual std::vector<HookPoint> planned_hook_points(const Options& options) const = 0;

  // Everything below works on a model loaded from a finished stage.
  virtual void load(const std::filesystem::path& stage_dir, const std::string& device) = 0;
  virtual ModelShape shape() const = 0;
  virtual std::vector<HookPoint> hook_points() const = 0;
  // The hook dictionaries decompose when a stage names none.
  virtual std::string default_hook() const = 0;
  // The activations at each hook, row-major [batch * length, width], in the
  // order asked, from one forward pass.
  virtual std::vector<std::vector<float>> activations(const TokenBatch& tokens,
                                                      const std::vector<std::string>& hooks) = 0;
  // Mean next-token cross-entropy in nats over every position of the batch,
  // with the edits applied.
  virtual double loss(const TokenBatch& tokens, const HookEdits& edits = {}) = 0;
  // Next-token logits, row-major [batch * length, vocab_size], with the edits applied.
  virtual std::vector<float> logits(const TokenBatch& tokens, const HookEdits& edits = {}) = 0;
  // The direct path from the activations at `hook` to the logits,
  // [width, vocab_size], final normalisation left out as the paper's logit
  // weights do: W_out·W_U from blocks.L.mlp.hook_post, W_U from the residual
  // stream and from what writes into it.
  virtual std::vector<float> logit_weights(std::string_view hook) = 0;
  // Writes the model as one portable file the browser runs (weights, config
  // and tokenizer; see host/site/DATA.md); false when the model is too big
  // or not of a kind the page runs (then `dictlab serve` runs it).
  virtual bool export_bundle(const std::filesystem::path& file) const = 0;
  virtual std::vector<std::int32_t> encode(std::string_view text) const = 0;
  virtual std::string decode(const std::vector<std::int32_t>& ids) const = 0;
  // The prompt's continuation (without the prompt); the edits apply at every step.
  virtual std::string generate(std::string_view prompt, const SamplingOptions& options,
                               const HookEdits& edits = {}) = 0;
};

// The trained model of this stage's model input, ready for its hooks.
inline std::shared_ptr<Model> open_input_model(RunContext& context) {
  const StageInput& input = context.input(PluginKind::kModel);
  auto model = std::static_pointer_cast<Model>(context.open_plugin(input));
  model->load(input.dir, context.device());
  return model;
}

// The `hook` option of a stage that reads its model's activations.
inline OptionSpec hook_option() {
  return {"hook", OptionType::kString,
          "The model's hook point, named as TransformerLens does (e.g. blocks.0.mlp.hook_post); empty: the model's "
          "default.",
          std::string(), OptionRole::kModelHook};
}

// The hook point the stage's `hook` option names, or the model's default.
inline HookPoint chosen_hook(const Model& model, const Options& options) {
  const std::string& name = options.get_string("hook");
  try {
    return find_hook_point(model.hook_points(), name.empty() ? model.default_hook() : name);
  } catch (const PluginError& error) {
    throw OptionError("hook", error.what());
  }
}

inline std::vector<float> activations_at(Model& model, const TokenBatch& tokens, const std::string& hook) {
  return std::move(model.activations(tokens, {hook}).front());
}

}  // namespace dictlab

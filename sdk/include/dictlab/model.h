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
#include "dictlab/plugin.h"
#include "dictlab/run_context.h"

namespace dictlab {

struct ModelShape {
  std::int64_t vocab_size = 0;
  std::int64_t context_length = 0;
  std::int64_t d_model = 0;
  std::int64_t d_mlp = 0;  // what dictionaries decompose
};

// Row-major token ids [batch, length]; length at most the context length.
struct TokenBatch {
  const std::int32_t* ids = nullptr;
  std::int64_t batch = 0;
  std::int64_t length = 0;
};

// Reads and may overwrite MLP activations in place: `rows` rows (batch
// positions) of `width` floats. Splicing a dictionary's reconstruction,
// zero-ablation and feature pinning are all edits.
using MlpEdit = std::function<void(float* activations, std::int64_t rows, std::int64_t width)>;

struct SamplingOptions {
  std::int64_t max_new_tokens = 64;
  double temperature = 1.0;  // 0 picks the most likely token
  std::int64_t top_k = 0;    // 0 samples from the whole vocabulary
  std::uint64_t seed = 0;
};

// A language model whose MLP activations the dictionary learners decompose.
// The stage trains the model and leaves it in stage_dir; later stages load
// it with open_input_model() and use the hooks.
class Model : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::kModel;
  virtual void train(RunContext& context) = 0;

  // Everything below works on a model loaded from a finished stage.
  virtual void load(const std::filesystem::path& stage_dir, const std::string& device) = 0;
  virtual ModelShape shape() const = 0;
  // Activations after the MLP nonlinearity, row-major [batch * length, d_mlp].
  virtual std::vector<float> mlp_activations(const TokenBatch& tokens) = 0;
  // Mean next-token cross-entropy in nats over every position of the batch,
  // with the MLP activations passed through `edit` first when it is set.
  virtual double loss(const TokenBatch& tokens, const MlpEdit& edit = {}) = 0;
  // Next-token logits, row-major [batch * length, vocab_size], with `edit`
  // applied to the MLP activations first when it is set.
  virtual std::vector<float> logits(const TokenBatch& tokens, const MlpEdit& edit = {}) = 0;
  // The direct path from MLP activations to the logits, [d_mlp, vocab_size]:
  // the output projection times the unembedding, the final layer norm left
  // out, as the paper's logit weights do.
  virtual std::vector<float> mlp_logit_weights() = 0;
  // Writes the model as one portable file the browser runs (weights, config
  // and tokenizer; see host/site/DATA.md).
  virtual void export_bundle(const std::filesystem::path& file) const = 0;
  virtual std::vector<std::int32_t> encode(std::string_view text) const = 0;
  virtual std::string decode(const std::vector<std::int32_t>& ids) const = 0;
  // The prompt's continuation (without the prompt); `edit` applies at every step.
  virtual std::string generate(std::string_view prompt, const SamplingOptions& options, const MlpEdit& edit = {}) = 0;
};

// The trained model of this stage's model input, ready for its hooks.
inline std::shared_ptr<Model> open_input_model(RunContext& context) {
  const StageInput& input = context.input(PluginKind::kModel);
  auto model = std::static_pointer_cast<Model>(context.open_plugin(input));
  model->load(input.dir, context.device());
  return model;
}

}  // namespace dictlab

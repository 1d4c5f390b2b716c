#include "sae_plugin.h"

#include <map>
#include <thread>
#include <utility>

#include "activation_buffer.h"
#include "cached_activations.h"
#include "dictlab/token_shards.h"
#include "training_guards.h"
#include "variants.h"

namespace sparse_autoencoder {

using dictlab::OptionError;
using dictlab::OptionType;

std::vector<dictlab::OptionSpec> common_options() {
  using dictlab::OptionSpec;
  return {
      dictlab::hook_option(),
      OptionSpec{"d_sae", OptionType::kInt, "Number of features (the paper: 512 to 131072; A/1 has 4096).",
                 std::int64_t{4096}}
          .at_least(1),
      OptionSpec{"steps", OptionType::kInt, "Adam steps.", std::int64_t{2000}}.at_least(1),
      OptionSpec{"batch_size", OptionType::kInt, "Activations per step.", std::int64_t{4096}}.at_least(1),
      OptionSpec{"learning_rate", OptionType::kFloat, "Adam learning rate.", 4e-4}.above(0),
      {"normalize_activations", OptionType::kBool, "Scale activations to mean squared norm d_in.", true},
      OptionSpec{"buffer_contexts", OptionType::kInt,
                 "Contexts harvested per refill of the shuffled buffer (without an activation_cache input).",
                 std::int64_t{256}}
          .at_least(1),
      OptionSpec{"dead_steps", OptionType::kInt, "A feature silent for this many steps counts as dead.",
                 std::int64_t{500}}
          .at_least(1),
      OptionSpec{"checkpoint_interval", OptionType::kInt, "Steps between checkpoints.", std::int64_t{500}}.at_least(1),
      OptionSpec{"log_interval", OptionType::kInt, "Steps between log lines and metric updates.", std::int64_t{100}}
          .at_least(1),
      {"sparse_kernels", OptionType::kBool,
       "Compute everything after the encoder over active features only: the CPU's sparse kernels, or off the CPU "
       "autograd with codes held by index (false: dense autograd).",
       true},
      {"fit_encoder_init", OptionType::kBool,
       "Start the encoder as the decoder's transpose scaled so the first reconstruction fits a sample best "
       "(false: the transpose as it is, which overshoots by about d_sae / (2 d_in)).",
       false},
  };
}

TrainerOptions common_trainer_options(const dictlab::Options& o) {
  TrainerOptions t;
  t.steps = o.get_int("steps");
  t.batch_size = o.get_int("batch_size");
  t.learning_rate = o.get_float("learning_rate");
  t.normalize_activations = o.get_bool("normalize_activations");
  t.dead_steps = o.get_int("dead_steps");
  t.checkpoint_interval = o.get_int("checkpoint_interval");
  t.log_interval = o.get_int("log_interval");
  t.sparse_kernels = o.get_bool("sparse_kernels");
  t.fit_encoder_init = o.get_bool("fit_encoder_init");
  return t;
}

dictlab::PluginDescriptor dictionary_descriptor(std::string_view name, std::string version, std::string summary,
                                                std::vector<dictlab::OptionSpec> options) {
  return {.name = std::string(name),
          .version = std::move(version),
          .summary = std::move(summary),
          .options = std::move(options),
          .data_parallel = true,
          .pass_family = "sparse_autoencoder",
          .pass_shared_options = {"hook", "hook_out", "batch_size", "buffer_contexts"}};
}

namespace {

// The activations to train on and the hook they come from: an activation
// cache input when there is one (its model input, if any, must be the one
// that made it), else harvested from the model input as training goes.
struct TrainingActivations {
  std::unique_ptr<ActivationSource> source;
  std::shared_ptr<dictlab::Model> model;         // what a harvesting source runs
  std::unique_ptr<dictlab::TokenShard> tokens;  // and reads
  dictlab::HookPoint hook;
  std::optional<dictlab::HookPoint> target;  // a transcoder's
};

const dictlab::StageInput* model_input(const dictlab::RunContext& context) {
  for (const auto& input : context.inputs())
    if (input.kind == dictlab::PluginKind::kModel) return &input;
  return nullptr;
}

TrainingActivations cached_activations(dictlab::RunContext& context, const dictlab::StageInput& cache,
                                       std::int64_t batch_size) {
  TrainingActivations t;
  auto cached = std::make_unique<CachedActivations>(cache.dir, batch_size, context.seed());
  const dictlab::ActivationCacheInfo& info = cached->info();
  const std::string& asked = context.options().get_string("hook");
  if (!asked.empty() && asked != info.hook)
    throw OptionError("hook", "the activation cache '" + cache.stage + "' holds activations at " + info.hook +
                                  ", not at " + asked);
  t.hook = {info.hook, info.d_in};
  if (const dictlab::StageInput* model = model_input(context)) {
    if (info.model_stage != model->stage)
      throw dictlab::PluginError("the activation cache '" + cache.stage + "' holds activations of stage '" +
                                 info.model_stage + "', but this dictionary's model input is '" + model->stage + "'");
    t.hook = dictlab::find_hook_point(dictlab::open_input_model(context)->hook_points(), info.hook);
  }
  t.source = std::move(cached);
  return t;
}

// `target_hook` (a transcoder's) is harvested beside the input hook, from
// the same forward pass.
TrainingActivations harvested_activations(dictlab::RunContext& context, std::int64_t batch_size,
                                          const std::string& target_hook) {
  TrainingActivations t;
  t.model = dictlab::open_input_model(context);
  t.hook = dictlab::chosen_hook(*t.model, context.options());
  if (!target_hook.empty()) t.target = dictlab::find_hook_point(t.model->hook_points(), target_hook);
  const auto& tokens_stage = context.input(dictlab::PluginKind::kTokenizer);
  t.tokens = std::make_unique<dictlab::TokenShard>(tokens_stage.dir / "tokens.train.bin",
                                                  dictlab::TokenSetInfo::read(tokens_stage.dir).dtype);
  t.source = std::make_unique<ActivationBuffer>(*t.model, t.hook, *t.tokens, context.options().get_int("buffer_contexts"),
                                                batch_size, context.seed(), dictlab::collectives_of(context), t.target);
  return t;
}

// Each draw of sample() once for all the dictionaries of a pass (they all
// start from draw 0), so that a harvesting source runs its model once.
class SharedSamples : public ActivationSource {
 public:
  explicit SharedSamples(ActivationSource& source) : source_(source) {}
  torch::Tensor batch(std::int64_t step) override { return source_.batch(step); }
  torch::Tensor sample(std::int64_t rows, std::int64_t index) override {
    auto [it, added] = drawn_.try_emplace({rows, index});
    if (added) it->second = source_.sample(rows, index);
    return it->second;
  }
  std::int64_t d_in() const override { return source_.d_in(); }
  std::int64_t d_out() const override { return source_.d_out(); }

 private:
  ActivationSource& source_;
  std::map<std::pair<std::int64_t, std::int64_t>, torch::Tensor> drawn_;
};

// One dictionary of the pass: its stage and its training.
struct PassDictionary {
  dictlab::RunContext* context;
  std::unique_ptr<Sae> sae;
  std::unique_ptr<SaeTraining> training;
};

PassDictionary start_training(const dictlab::PassMember& stage, const TrainingActivations& activations,
                              ActivationSource& source) {
  const dictlab::Options& options = stage.context->options();
  const Variant& variant = variant_of(stage.plugin);
  SaeConfig config{.d_in = activations.hook.width, .d_sae = options.get_int("d_sae"), .hook_name = activations.hook.name};
  if (activations.target) {
    config.d_out = activations.target->width;
    config.hook_name_out = activations.target->name;
  }
  PassDictionary dictionary{stage.context, std::make_unique<Sae>(config, variant.architecture(options)), nullptr};
  dictionary.training = std::make_unique<SaeTraining>(*dictionary.sae, variant.trainer_options(options), source,
                                                      *stage.context);
  return dictionary;
}

void save_dictionary(const PassDictionary& dictionary) {
  save_sae(*dictionary.sae, dictionary.context->stage_dir());
  const TrainingSummary summary = dictionary.training->summary();
  const nlohmann::json report = {{"mse", summary.mse},
                                 {"l0", summary.l0},
                                 {"dead_fraction", summary.dead_fraction},
                                 {"resampled_features", summary.resampled},
                                 {"resumed_from_step", summary.resumed_from_step},
                                 {"activations_per_second", summary.activations_per_second},
                                 {"steps_by_kernels", summary.steps_by_kernels}};
  dictlab::AtomicFile::write_all(dictionary.context->stage_dir() / "training.json", report.dump(2) + "\n");
}

}  // namespace

// This stage's dictionary and those of the stages in its pass, trained on
// the same batches from one activation source.
void SaePlugin::train(dictlab::RunContext& context) {
  torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  const Variant& variant = variant_of(plugin_);
  const dictlab::StageInput* cache = dictlab::find_activation_cache(context);
  const std::string target = variant.target_hook(context.options());
  // Caches hold one hook's activations; a transcoder's pairs are harvested.
  if (cache && !target.empty())
    throw dictlab::PluginError("a transcoder harvests its (input, output) pairs from its model: the activation cache '" +
                               cache->stage + "' holds one hook only; drop it from this stage's inputs");
  const std::int64_t batch_size = context.options().get_int("batch_size");
  TrainingActivations activations =
      cache ? cached_activations(context, *cache, batch_size) : harvested_activations(context, batch_size, target);
  SharedSamples source(*activations.source);
  std::vector<dictlab::PassMember> stages = {{std::string(plugin_), &context}};
  for (const dictlab::PassMember& member : context.pass_members()) stages.push_back(member);
  std::vector<PassDictionary> dictionaries;
  std::vector<SaeTraining*> trainings;
  for (const dictlab::PassMember& stage : stages) {
    try {
      dictionaries.push_back(start_training(stage, activations, source));
    } catch (const dictlab::OptionError& error) {
      // The host places an OptionError in this stage's table; name the member's.
      if (stage.context == &context) throw;
      throw dictlab::PluginError("stage '" + stage.context->stage() + "' of this pass, key '" + error.key() +
                                 "': " + error.what());
    }
    trainings.push_back(dictionaries.back().training.get());
  }
  if (!train_together(trainings, source, context) || context.stop_requested()) return;
  for (const PassDictionary& dictionary : dictionaries) save_dictionary(dictionary);
}

void SaePlugin::load(const std::filesystem::path& stage_dir, const std::string& device) {
  sae_.emplace(load_sae(stage_dir));
  sae_->to(torch_training::checked_device(device));
  for (auto& p : sae_->parameters()) p.set_requires_grad(false);
}

// The caller's rows where the dictionary is (the same memory on the CPU);
// results come back through copy_ into the caller's buffer.
torch::Tensor SaePlugin::on_device(const float* rows, std::int64_t count, std::int64_t width) const {
  return torch::from_blob(const_cast<float*>(rows), {count, width}, torch::kFloat).to(sae_->W_enc.device());
}

void SaePlugin::encode(const float* activations, std::int64_t rows, float* features) {
  torch::NoGradGuard no_grad;
  const torch::Tensor x = on_device(activations, rows, sae_->config.d_in);
  torch::from_blob(features, {rows, sae_->config.d_sae}, torch::kFloat).copy_(sae_->encode(x));
}

void SaePlugin::decode(const float* features, std::int64_t rows, float* activations) {
  torch::NoGradGuard no_grad;
  const torch::Tensor f = on_device(features, rows, sae_->config.d_sae);
  torch::from_blob(activations, {rows, sae_->config.output_width()}, torch::kFloat).copy_(sae_->decode(f));
}

void SaePlugin::reconstruct(const float* activations, std::int64_t rows, float* output) {
  torch::NoGradGuard no_grad;
  const torch::Tensor x = on_device(activations, rows, sae_->config.d_in);
  torch::from_blob(output, {rows, sae_->config.output_width()}, torch::kFloat).copy_(sae_->forward(x));
}

}  // namespace sparse_autoencoder

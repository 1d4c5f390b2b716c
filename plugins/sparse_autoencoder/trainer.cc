#include "trainer.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <optional>

#include "checkpoints.h"
#include "training_guards.h"
#include "dictlab/errors.h"
#include "fused_adam.h"
#include "data_parallel.h"
#include "geometric_median.h"
#include "training_log.h"

namespace sparse_autoencoder {
namespace {

// Above this share of active features per activation, steps run dense: the
// per-feature loops' lead shrinks as codes fill up and is gone by a third
// (`sae_bench crossover`, 4096 features, both cores: the sparse step takes
// 0.12 of the dense step's time at 0.5% active, 0.33 at 9.5%, 0.61 at 19%
// and the same at 33%).
constexpr double kSparseL0Share = 0.25;

// Off the CPU, codes held by index pay for their gathers once the dictionary
// has enough features per active code; below that the dense step is faster
// (`sae_bench device cuda`, H200, TopK k=32, batch 4096: dense 1.2 times
// faster at 8192 features, 256 per code; indexed 1.3 times faster at 16384,
// 512 per code, and 2.7 times at 131072).
constexpr double kIndexedFeaturesPerCode = 384;

// Kaiming-uniform rows, normalised; the encoder starts as the decoder's
// transpose (Gao et al.), which also helps the L1 recipe start well. A
// transcoder's input and output spaces differ, so its encoder gets its own
// random unit directions.
void initialize(Sae& sae, ActivationSource& source, const TrainerOptions& options, std::uint64_t seed,
                dictlab::Logger& log) {
  torch::NoGradGuard no_grad;
  torch::manual_seed(seed);
  const double bound = std::sqrt(6.0 / static_cast<double>(sae.config.d_in));
  sae.W_dec.uniform_(-bound, bound);
  sae.normalize_decoder();
  if (sae.config.transcoder()) {
    const torch::Tensor rows = torch::empty({sae.config.d_sae, sae.config.d_in}).uniform_(-bound, bound);
    sae.W_enc.copy_((rows / rows.norm(2, 1, true).clamp_min(1e-8)).t());
  } else {
    sae.W_enc.copy_(sae.W_dec.t());
  }
  sae.b_enc.zero_();
  const torch::Tensor sample = source.sample(options.init_rows, /*index=*/0).to(sae.W_enc.device());
  const auto scale_of = [&options](const torch::Tensor& rows) {
    return options.normalize_activations
               ? std::sqrt(static_cast<double>(rows.size(1)) / rows.pow(2).sum(1).mean().item<double>())
               : 1.0;
  };
  sae.config.activation_scale = scale_of(sae.input_of(sample));
  if (sae.config.transcoder()) sae.config.activation_scale_out = scale_of(sae.target_of(sample));
  const torch::Tensor scaled = sae.scaled(sample);
  sae.b_dec.copy_(geometric_median(sae.target_of(scaled)));
  sae.architecture->start_from_sample(sae, sae.pre_activations(sae.input_of(scaled)));
  if (options.fit_encoder_init) {
    // With unit decoder rows, the transpose alone reconstructs x about
    // d_sae / (2 d_in) times too long (half the features fire), so a wide
    // dictionary spends its first hundreds of steps, dense and slow, undoing
    // that. The reconstruction is linear in the encoder's scale (ReLU and
    // TopK are positively homogeneous, b_enc = 0): the least-squares scale
    // makes the first one fit the sample best.
    const torch::Tensor centered = sae.target_of(scaled) - sae.b_dec;
    const torch::Tensor reconstruction =
        torch::mm(sae.architecture->training_codes(sae, sae.pre_activations(sae.input_of(scaled))), sae.W_dec);
    const double fit = (reconstruction * centered).sum().item<double>() /
                       std::max(reconstruction.pow(2).sum().item<double>(), 1e-30);
    sae.W_enc.mul_(fit);
    // The pre-activations scale with the encoder (b_enc = 0): state fitted
    // to them, such as a threshold at a quantile, is fitted again.
    sae.architecture->start_from_sample(sae, sae.pre_activations(sae.input_of(scaled)));
    log.info("encoder initialised as the decoder's transpose times " + std::to_string(fit));
  }
}

// The weights at the learning rate, each extra parameter in its own group
// at the rate its architecture asks for.
FusedAdam make_optimizer(const Sae& sae, double learning_rate) {
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{sae.W_enc, sae.b_enc, sae.W_dec, sae.b_dec},
                      std::make_unique<torch::optim::AdamOptions>(learning_rate));
  for (const auto& [name, tensor] : sae.extra_parameters)
    groups.emplace_back(std::vector<torch::Tensor>{tensor},
                        std::make_unique<torch::optim::AdamOptions>(
                            learning_rate * sae.architecture->learning_rate_factor(name)));
  return FusedAdam(std::move(groups), torch::optim::AdamOptions(learning_rate));
}

}  // namespace

const char* name_of(StepKernels kernels) {
  switch (kernels) {
    case StepKernels::kSparse: return "sparse";
    case StepKernels::kDense: return "dense";
    case StepKernels::kIndexed: return "indexed";
  }
  return "?";
}

StepLoss loss_and_gradients(Sae& sae, const torch::Tensor& x, const torch::Tensor& dead, StepKernels kernels,
                            SparseStepWorkspace& workspace) {
  if (kernels == StepKernels::kSparse) return sae.architecture->sparse_step(sae, x, dead, workspace);
  StepLoss result = kernels == StepKernels::kIndexed ? sae.architecture->indexed_step(sae, x, dead, workspace)
                                                     : sae.architecture->dense_step(sae, x, dead, workspace);
  sae.project_decoder_gradient();
  return result;
}

namespace {

// What a checkpoint holds beside the optimiser: the dictionary's tensors,
// when each feature last fired, the activation scales, and the last step's
// L0, which picks the next step's kernels (kept so that a resumed run picks
// the same ones and stays bit-identical).
struct TrainingState {
  torch::Tensor last_fired, previous_l0, scale, scale_out;
  torch_training::TensorMap tensors;

  explicit TrainingState(const Sae& sae)
      : last_fired(torch::zeros({sae.config.d_sae}, torch::kLong)),
        previous_l0(torch::full({1}, sae.architecture->initial_l0(sae), torch::kDouble)),
        scale(torch::full({1}, sae.config.activation_scale, torch::kDouble)),
        scale_out(torch::full({1}, sae.config.activation_scale_out, torch::kDouble)) {
    tensors = {{"last_fired", last_fired}, {"activation_scale", scale}, {"previous_l0", previous_l0}};
    for (const auto& [name, tensor] : sae.named_tensors()) tensors[name] = tensor;
    if (sae.config.transcoder()) tensors["activation_scale_out"] = scale_out;
  }
  void keep_scales(const Sae& sae) {
    scale.fill_(sae.config.activation_scale);
    scale_out.fill_(sae.config.activation_scale_out);
  }
  void restore_scales(Sae& sae) const {
    sae.config.activation_scale = scale.item<double>();
    sae.config.activation_scale_out = scale_out.item<double>();
  }
};

}  // namespace

struct SaeTraining::State {
  Sae& sae;
  const TrainerOptions options;
  ActivationSource& source;
  dictlab::RunContext& context;
  dictlab::Collectives& ranks;
  const bool parallel;
  const torch::Device device;
  const dictlab::Collectives::BatchShard shard;
  std::optional<FusedAdam> optimizer;
  std::optional<TrainingState> training;
  torch_training::Checkpoints checkpoints;
  TrainingSummary summary;
  std::optional<TrainingLog> log;
  SparseStepWorkspace workspace;
  std::int64_t last_checkpoint = 0;

  State(Sae& s, const TrainerOptions& o, ActivationSource& a, dictlab::RunContext& c)
      : sae(s),
        options(o),
        source(a),
        context(c),
        ranks(dictlab::collectives_of(c)),
        parallel(ranks.world_size() > 1),
        device(torch_training::checked_device(c.device())),
        shard(ranks.shard(o.batch_size)),
        checkpoints(c.checkpoint_dir(), c.log()) {}

  // The sparse kernels pay off once codes are sparse; an L1 SAE starts with
  // about half its features active, so its first steps run dense. They are
  // CPU code: off the CPU the codes are held by index instead, where that
  // pays. The previous step's L0 is the whole batch's, so every rank picks
  // the same.
  StepKernels kernels_for_step() const {
    if (!options.sparse_kernels) return StepKernels::kDense;
    const double l0 = training->previous_l0.item<double>(), d_sae = static_cast<double>(sae.config.d_sae);
    if (!device.is_cpu()) return d_sae > kIndexedFeaturesPerCode * l0 ? StepKernels::kIndexed : StepKernels::kDense;
    return l0 < kSparseL0Share * d_sae ? StepKernels::kSparse : StepKernels::kDense;
  }

  // Rank 0 alone writes checkpoints; every rank reads them.
  void save(std::int64_t step) {
    if (!ranks.leader()) return;
    training->keep_scales(sae);
    checkpoints.save(step, training->tensors, &*optimizer);
  }
};

SaeTraining::SaeTraining(Sae& sae, const TrainerOptions& options, ActivationSource& source,
                         dictlab::RunContext& context)
    : state_(std::make_unique<State>(sae, options, source, context)) {
  State& s = *state_;
  if (source.d_in() != sae.config.d_in || source.d_out() != sae.config.d_out)
    throw dictlab::PluginError("the activations have width " + std::to_string(source.d_in()) + " (targets " +
                               std::to_string(source.d_out()) + "), the dictionary expects d_in = " +
                               std::to_string(sae.config.d_in) + " (d_out = " + std::to_string(sae.config.d_out) + ")");
  sae.to(s.device);
  initialize(sae, source, options, context.seed(), context.log());
  s.optimizer.emplace(make_optimizer(sae, options.learning_rate));
  s.training.emplace(sae);
  if (auto step = s.checkpoints.restore_latest(s.training->tensors, &*s.optimizer)) {
    s.summary.resumed_from_step = *step;
    context.log().info("resuming from the checkpoint at step " + std::to_string(*step));
  }
  share_state(s.training->tensors, s.ranks);
  s.training->restore_scales(sae);
  s.log.emplace(context, s.options, s.ranks);  // it keeps a reference: the State's copy, not the caller's
  if (s.parallel) s.workspace.ranks = &s.ranks;
  s.last_checkpoint = s.summary.resumed_from_step;
}

SaeTraining::~SaeTraining() = default;

std::int64_t SaeTraining::first_step() const { return state_->summary.resumed_from_step; }
std::int64_t SaeTraining::steps() const { return state_->options.steps; }

void SaeTraining::stop_at(std::int64_t step) {
  const std::int64_t at = std::min(step, steps());
  if (at > state_->last_checkpoint) state_->save(at);
}

bool SaeTraining::train_step(std::int64_t step, const torch::Tensor& batch) {
  State& s = *state_;
  Sae& sae = s.sae;
  for (std::int64_t r : s.options.resample_steps)
    if (r == step && step > 0)
      s.summary.resampled += resample_dead_features(sae, *s.optimizer, s.training->last_fired, step, s.options,
                                                    s.source, s.context.log());
  const torch::Tensor x = sae.scaled(s.shard.of(batch)).to(s.device);
  const torch::Tensor dead = ((step - s.training->last_fired) >= s.options.dead_steps).to(s.device);
  s.optimizer->zero_grad();
  const StepKernels kernels = s.kernels_for_step();
  ++s.summary.steps_by_kernels[name_of(kernels)];
  StepLoss result = loss_and_gradients(sae, x, dead, kernels, s.workspace);
  bool stop_agreed = false;
  if (s.parallel) {
    const auto started = std::chrono::steady_clock::now();
    const std::int64_t bytes = sum_gradients(sae, s.shard.share, s.ranks);
    BatchStep whole = reduce_step(result, s.shard.share, s.context.stop_requested(), s.ranks);
    s.log->add_reduce(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(), bytes,
                      result.features_fired.to(torch::kDouble).mean().item<double>());
    result = whole.loss;
    stop_agreed = whole.stop;
    if (stop_agreed) s.ranks.agree_stop();
  }
  s.training->previous_l0.fill_(result.l0);
  torch_training::check_finite_loss(result.loss, step, s.last_checkpoint);
  s.optimizer->step();
  sae.normalize_decoder();
  sae.architecture->after_step(sae, step);
  s.training->last_fired.masked_fill_(result.features_fired.cpu(), step);
  const std::int64_t done = step + 1;
  s.log->step_done(done, result, dead, s.summary);
  if (done % s.options.checkpoint_interval == 0 || done == s.options.steps) {
    check_same_weights(sae, done, s.ranks);
    s.save(done);
    s.last_checkpoint = done;
  }
  return stop_agreed;
}

TrainingSummary SaeTraining::summary() const {
  TrainingSummary summary = state_->summary;
  const std::int64_t trained = steps() - summary.resumed_from_step;
  if (state_->log->seconds_training() > 0)
    summary.activations_per_second =
        static_cast<double>(trained * state_->options.batch_size) / state_->log->seconds_training();
  return summary;
}

bool train_together(const std::vector<SaeTraining*>& trainings, ActivationSource& source,
                    dictlab::RunContext& context) {
  std::int64_t first = std::numeric_limits<std::int64_t>::max(), last = 0;
  for (const SaeTraining* training : trainings) {
    first = std::min(first, training->first_step());
    last = std::max(last, training->steps());
  }
  const bool parallel = dictlab::collectives_of(context).world_size() > 1;
  bool stop_agreed = false;
  for (std::int64_t step = first; step < last; ++step) {
    if (parallel ? stop_agreed : context.stop_requested()) {
      for (SaeTraining* training : trainings) training->stop_at(step);
      return false;
    }
    torch::Tensor batch;
    for (SaeTraining* training : trainings) {
      if (step < training->first_step() || step >= training->steps()) continue;
      if (!batch.defined()) batch = source.batch(step);
      stop_agreed = training->train_step(step, batch) || stop_agreed;
    }
  }
  return true;
}

}  // namespace sparse_autoencoder

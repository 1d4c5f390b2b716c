#include "trainer.h"

#include <chrono>
#include <cmath>
#include <tuple>

#include "checkpoints.h"
#include "training_guards.h"
#include "dictlab/collectives.h"
#include "dictlab/errors.h"
#include "token_batches.h"

namespace toy_transformer {

double TrainingOptions::learning_rate_at(std::int64_t step) const {
  if (step < warmup_steps) return learning_rate * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  const double progress =
      static_cast<double>(step - warmup_steps) / static_cast<double>(std::max<std::int64_t>(1, steps - warmup_steps));
  const double cosine = 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
  return learning_rate * (min_learning_rate_ratio + (1.0 - min_learning_rate_ratio) * cosine);
}

double evaluate(const Transformer& model, const dictlab::TokenShard& heldout, std::int64_t batches,
                std::int64_t batch_size, const torch::Device& device) {
  torch::NoGradGuard no_grad;
  const TokenBatches windows(heldout, model.config().n_ctx);
  double total = 0;
  for (std::int64_t i = 0; i < batches; ++i)
    total += model.loss(windows.fixed_batch(i, batches, batch_size).to(device)).item<double>();
  return total / static_cast<double>(batches);
}

// Biases and LayerNorm gains are not decayed, as in GPT-2 and nanoGPT.
std::unique_ptr<torch::optim::AdamW> make_optimizer(Transformer& model, const TrainingOptions& options) {
  std::vector<torch::Tensor> decayed, kept;
  for (auto& [name, tensor] : model.parameters()) (tensor.dim() >= 2 ? decayed : kept).push_back(tensor);
  auto decay = std::make_unique<torch::optim::AdamWOptions>(options.learning_rate);
  decay->betas({0.9, 0.95}).weight_decay(options.weight_decay);
  auto no_decay = std::make_unique<torch::optim::AdamWOptions>(options.learning_rate);
  no_decay->betas({0.9, 0.95}).weight_decay(0.0);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decayed, std::move(decay));
  groups.emplace_back(kept, std::move(no_decay));
  return std::make_unique<torch::optim::AdamW>(groups, torch::optim::AdamWOptions(options.learning_rate));
}

namespace {

// The whole batch's mean loss and its gradient on every rank: each rank's
// gradient over its rows, weighted by its share, summed. Returns the loss
// and whether any rank was asked to stop (the ranks stop together).
std::pair<double, bool> reduce_across_ranks(Transformer& model, double loss, double share, bool stop,
                                            dictlab::Collectives& ranks) {
  std::vector<torch::Tensor> parameters;
  for (auto& [name, tensor] : model.parameters()) parameters.push_back(tensor);
  std::vector<torch::Tensor> tensors = dictlab::Collectives::weighted_gradients(parameters, share);
  tensors.insert(tensors.begin(), torch::tensor({loss * share, stop ? 1.0 : 0.0}, torch::kDouble));
  ranks.sum(tensors);
  return {tensors[0][0].item<double>(), tensors[0][1].item<double>() > 0};
}

// The global-norm clip, then the optimiser.
void clip_and_step(Transformer& model, torch::optim::Optimizer& optimizer, double grad_clip) {
  if (grad_clip > 0) {
    std::vector<torch::Tensor> parameters;
    for (auto& [name, tensor] : model.parameters()) parameters.push_back(tensor);
    torch::nn::utils::clip_grad_norm_(parameters, grad_clip);
  }
  optimizer.step();
}

// One step of a distributed run: this rank's rows, the gradients summed
// over ranks, then the same update on every rank. A non-finite loss on any
// rank makes the summed one non-finite, so every rank stops at once.
void data_parallel_step(Transformer& model, torch::optim::Optimizer& optimizer, const torch::Tensor& rows,
                        double grad_clip, double share, dictlab::Collectives& ranks, bool& stop, double& loss_value) {
  optimizer.zero_grad();
  torch::Tensor loss = model.loss(rows);
  loss.backward();
  std::tie(loss_value, stop) = reduce_across_ranks(model, loss.item<double>(), share, stop, ranks);
  if (std::isfinite(loss_value)) clip_and_step(model, optimizer, grad_clip);
}

}  // namespace

void training_step(Transformer& model, torch::optim::Optimizer& optimizer, const torch::Tensor& batch,
                   double grad_clip, double& loss_value) {
  optimizer.zero_grad();
  torch::Tensor loss = model.loss(batch);
  loss_value = loss.item<double>();
  if (!std::isfinite(loss_value)) return;
  loss.backward();
  clip_and_step(model, optimizer, grad_clip);
}

TrainingResult train_transformer(Transformer& model, const TrainingOptions& options, dictlab::RunContext& context,
                                 const dictlab::TokenShard& train, const dictlab::TokenShard& heldout) {
  const torch::Device device(context.device());
  const TokenBatches batches(train, model.config().n_ctx);
  if (batches.windows() < 1) throw dictlab::PluginError("the training split is shorter than one context window");
  if (heldout.size() <= model.config().n_ctx)
    throw dictlab::PluginError("the held-out split is shorter than one context window; use a larger heldout_fraction");

  auto optimizer = make_optimizer(model, options);
  torch_training::Checkpoints checkpoints(context.checkpoint_dir(), context.log());
  TrainingResult result;
  if (auto step = checkpoints.restore_latest(model.parameters(), optimizer.get())) {
    result.resumed_from_step = *step;
    context.log().info("resuming from the checkpoint at step " + std::to_string(*step));
  }
  dictlab::Collectives& ranks = dictlab::collectives_of(context);
  const bool parallel = ranks.world_size() > 1;
  const dictlab::Collectives::BatchShard shard = ranks.shard(options.batch_size);
  if (parallel) {  // every rank starts from rank 0's weights
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> weights;
    for (auto& [name, tensor] : model.parameters()) weights.push_back(tensor);
    ranks.broadcast(weights, 0);
  }

  auto& metrics = context.metrics();
  auto& train_loss_gauge = metrics.gauge("model_train_loss", "Training cross-entropy (nats per token).");
  auto& eval_loss_gauge = metrics.gauge("model_eval_loss", "Held-out cross-entropy (nats per token).");
  auto& rate_gauge = metrics.gauge("model_tokens_per_second", "Training throughput.");
  auto& lr_gauge = metrics.gauge("model_learning_rate", "Current learning rate.");
  auto& tokens_counter = metrics.counter("model_tokens_total", "Tokens trained on.");
  context.progress().set_total(static_cast<double>(options.steps));

  const std::int64_t tokens_per_step = options.batch_size * model.config().n_ctx;
  auto window_start = std::chrono::steady_clock::now();
  std::int64_t window_steps = 0;
  double seconds_training = 0;
  std::int64_t last_checkpoint = result.resumed_from_step;

  bool stop = false;
  for (std::int64_t step = result.resumed_from_step; step < options.steps; ++step) {
    if (parallel ? stop : context.stop_requested()) {
      if (step > last_checkpoint && ranks.leader()) checkpoints.save(step, model.parameters(), optimizer.get());
      return result;
    }
    const double lr = options.learning_rate_at(step);
    for (auto& group : optimizer->param_groups())
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);

    const torch::Tensor batch = batches.random_batch(context.seed(), step, options.batch_size).to(device);
    double loss_value = 0;
    if (parallel) {
      stop = context.stop_requested();
      data_parallel_step(model, *optimizer, shard.of(batch), options.grad_clip, shard.share,
                         ranks, stop, loss_value);
      if (stop) ranks.agree_stop();
    } else {
      training_step(model, *optimizer, batch, options.grad_clip, loss_value);
    }
    torch_training::check_finite_loss(loss_value, step, last_checkpoint);

    result.train_loss = loss_value;
    train_loss_gauge.set(loss_value);
    lr_gauge.set(lr);
    tokens_counter.increment(static_cast<double>(tokens_per_step));
    ++window_steps;
    const std::int64_t done = step + 1;
    context.progress().set_done(static_cast<double>(done));

    const bool last = done == options.steps;
    if (done % options.eval_interval == 0 || last) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - window_start).count();
      seconds_training += seconds;
      const double rate = static_cast<double>(window_steps * tokens_per_step) / seconds;
      rate_gauge.set(rate);
      // Rank 0 alone reports (the same weights on every rank).
      if (ranks.leader()) {
        result.eval_loss = evaluate(model, heldout, options.eval_batches, options.batch_size, device);
        eval_loss_gauge.set(result.eval_loss);
        char line[160];
        std::snprintf(line, sizeof line, "step %lld: train loss %.4f, held-out loss %.4f, lr %.2e, %.0f tokens/s",
                      static_cast<long long>(done), loss_value, result.eval_loss, lr, rate);
        context.log().info(line);
      }
      window_steps = 0;
      window_start = std::chrono::steady_clock::now();
    }
    if (done % options.checkpoint_interval == 0 || last) {
      if (ranks.leader()) checkpoints.save(done, model.parameters(), optimizer.get());
      last_checkpoint = done;
    }
  }
  result.steps = options.steps;
  const std::int64_t trained = options.steps - result.resumed_from_step;
  if (seconds_training > 0) result.tokens_per_second = static_cast<double>(trained * tokens_per_step) / seconds_training;
  return result;
}

}  // namespace toy_transformer

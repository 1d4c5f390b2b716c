#include "training_log.h"

#include <cstdio>
#include <cstring>

namespace sparse_autoencoder {

TrainingLog::TrainingLog(dictlab::RunContext& context, const TrainerOptions& options, dictlab::Collectives& ranks)
    : context_(context),
      options_(options),
      ranks_(ranks),
      mse_(context.metrics().gauge("sae_mse", "Reconstruction MSE per element (normalised activations).")),
      l0_(context.metrics().gauge("sae_l0", "Mean active features per activation.")),
      dead_(context.metrics().gauge("sae_dead_ratio", "Share of features silent for dead_steps steps.")),
      rate_(context.metrics().gauge("sae_activations_per_second", "Training throughput.")),
      seen_(context.metrics().counter("sae_activations_total", "Activations trained on.")) {
  context.progress().set_total(static_cast<double>(options.steps));
}

void TrainingLog::add_reduce(double seconds, std::int64_t gradient_bytes, double fired_share) {
  window_reduce_seconds_ += seconds;
  gradient_bytes_ = gradient_bytes;
  fired_share_ = fired_share;
}

void TrainingLog::step_done(std::int64_t done, const StepLoss& result, const torch::Tensor& dead,
                            TrainingSummary& summary) {
  seen_.increment(static_cast<double>(options_.batch_size));
  ++window_steps_;
  context_.progress().set_done(static_cast<double>(done));
  if (done % options_.log_interval != 0 && done != options_.steps) return;
  const double seconds = std::chrono::duration<double>(Clock::now() - window_start_).count();
  seconds_training_ += seconds;
  summary.activations_per_second = static_cast<double>(window_steps_ * options_.batch_size) / seconds;
  summary.mse = result.mse;
  summary.l0 = result.l0;
  summary.dead_fraction = dead.to(torch::kFloat).mean().item<double>();
  mse_.set(summary.mse);
  l0_.set(summary.l0);
  dead_.set(summary.dead_fraction);
  rate_.set(summary.activations_per_second);
  char line[320];
  std::snprintf(line, sizeof line, "step %lld: mse %.4f, L0 %.1f, dead %.1f%%, %.0f activations/s",
                static_cast<long long>(done), summary.mse, summary.l0, 100 * summary.dead_fraction,
                summary.activations_per_second);
  if (ranks_.world_size() > 1)
    std::snprintf(line + std::strlen(line), sizeof line - std::strlen(line),
                  " on %d ranks; all-reduce %.0f%% of the time, %.1f MB of gradients a step (%.0f%% of features "
                  "fired in this rank's rows)",
                  ranks_.world_size(), 100 * window_reduce_seconds_ / seconds, static_cast<double>(gradient_bytes_) / 1e6,
                  100 * fired_share_);
  if (ranks_.leader()) context_.log().info(line);
  window_steps_ = 0;
  window_reduce_seconds_ = 0;
  window_start_ = Clock::now();
}

}  // namespace sparse_autoencoder

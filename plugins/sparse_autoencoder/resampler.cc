#include "trainer.h"

#include "fused_adam.h"

namespace sparse_autoencoder {
namespace {

void reset_adam_state(torch::optim::Adam& optimizer, const torch::Tensor& parameter, const torch::Tensor& rows,
                      std::int64_t dim) {
  auto& states = optimizer.state();
  auto it = states.find(optimizer_state_key(parameter));
  if (it == states.end()) return;
  auto& state = static_cast<torch::optim::AdamParamState&>(*it->second);
  state.exp_avg().index_fill_(dim, rows, 0.0);
  state.exp_avg_sq().index_fill_(dim, rows, 0.0);
}

}  // namespace

std::int64_t resample_dead_features(Sae& sae, torch::optim::Adam& optimizer, torch::Tensor& last_fired,
                                    std::int64_t step, const TrainerOptions& options, ActivationSource& source,
                                    dictlab::Logger& log) {
  torch::NoGradGuard no_grad;
  // last_fired stays on the CPU; the dictionary may not.
  const torch::Device device = sae.W_enc.device();
  const torch::Tensor dead_on_cpu = ((step - last_fired) >= options.resample_window).nonzero().view(-1);
  const torch::Tensor dead = dead_on_cpu.to(device);
  const std::int64_t count = dead.size(0);
  if (count == 0) {
    log.info("resampling at step " + std::to_string(step) + ": no dead features");
    return 0;
  }
  // The paper uses 819,200 inputs; a few thousand do at this scale.
  const torch::Tensor x = source.sample(options.init_rows, /*index=*/1 + step).to(device) * sae.config.activation_scale;
  const torch::Tensor reconstruction = torch::addmm(sae.b_dec, sae.activate(sae.pre_activations(x)), sae.W_dec);
  const torch::Tensor losses = (reconstruction - x).pow(2).sum(1);
  const torch::Tensor chosen =
      torch::multinomial(losses.pow(2) + 1e-12, count, /*replacement=*/count > x.size(0));
  const torch::Tensor inputs = x.index_select(0, chosen) - sae.b_dec;
  const torch::Tensor directions = inputs / inputs.norm(2, 1, true).clamp_min(1e-8);

  torch::Tensor alive = torch::ones({sae.config.d_sae}, torch::dtype(torch::kBool).device(device));
  alive.index_fill_(0, dead, false);
  const double live_norm =
      alive.any().item<bool>() ? sae.W_enc.index_select(1, alive.nonzero().view(-1)).norm(2, 0).mean().item<double>() : 1.0;

  sae.W_dec.index_copy_(0, dead, directions);
  sae.W_enc.index_copy_(1, dead, (directions * (0.2 * live_norm)).t());
  sae.b_enc.index_fill_(0, dead, 0.0);
  reset_adam_state(optimizer, sae.W_dec, dead, 0);
  reset_adam_state(optimizer, sae.W_enc, dead, 1);
  reset_adam_state(optimizer, sae.b_enc, dead, 0);
  last_fired.index_fill_(0, dead_on_cpu, step);
  log.info("resampling at step " + std::to_string(step) + ": " + std::to_string(count) + " dead features revived");
  return count;
}

}  // namespace sparse_autoencoder

#include "data_parallel.h"

#include <cmath>
#include <vector>

#include "dictlab/errors.h"

namespace sparse_autoencoder {

void share_state(std::map<std::string, torch::Tensor>& state, dictlab::Collectives& ranks) {
  if (ranks.world_size() == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors;
  for (auto& [name, tensor] : state) tensors.push_back(tensor);
  ranks.broadcast(tensors, 0);
}

std::int64_t sum_gradients(Sae& sae, double share, dictlab::Collectives& ranks) {
  std::vector<torch::Tensor> parameters;
  for (const auto& [name, tensor] : sae.named_tensors())
    if (tensor.requires_grad()) parameters.push_back(tensor);
  std::vector<torch::Tensor> gradients = dictlab::Collectives::weighted_gradients(parameters, share);
  std::int64_t bytes = 0;
  for (const auto& gradient : gradients) bytes += gradient.numel() * static_cast<std::int64_t>(gradient.element_size());
  ranks.sum(gradients);
  return bytes;
}

BatchStep reduce_step(const StepLoss& local, double share, bool stop_requested, dictlab::Collectives& ranks) {
  const std::int64_t d_sae = local.features_fired.size(0);
  // One collective: [loss, mse, l0, stop, fired...], each figure a mean
  // over rows, so weighted by the rank's share.
  torch::Tensor figures = torch::empty({4 + d_sae}, torch::kDouble);
  figures[0] = local.loss * share;
  figures[1] = local.mse * share;
  figures[2] = local.l0 * share;
  figures[3] = stop_requested ? 1.0 : 0.0;
  figures.narrow(0, 4, d_sae).copy_(local.features_fired.to(torch::kDouble));
  std::vector<torch::Tensor> one = {figures};
  ranks.sum(one);
  BatchStep step;
  step.loss.loss = figures[0].item<double>();
  step.loss.mse = figures[1].item<double>();
  step.loss.l0 = figures[2].item<double>();
  step.stop = figures[3].item<double>() > 0;
  step.loss.features_fired = figures.narrow(0, 4, d_sae) > 0;
  return step;
}

void check_same_weights(const Sae& sae, std::int64_t step, dictlab::Collectives& ranks) {
  if (ranks.world_size() == 1) return;
  torch::NoGradGuard no_grad;
  const torch::Tensor mine = torch::stack({sae.W_enc.to(torch::kDouble).sum(), sae.W_dec.to(torch::kDouble).abs().sum(),
                                           sae.b_dec.to(torch::kDouble).sum()});
  const std::vector<torch::Tensor> all = ranks.all_gather(mine);
  for (std::size_t r = 1; r < all.size(); ++r)
    if (!torch::equal(all[r], all[0]))
      throw dictlab::PluginError("after step " + std::to_string(step) + ", rank " + std::to_string(r) +
                                 "'s weights differ from rank 0's: the ranks diverged (a bug worth reporting)");
}

}  // namespace sparse_autoencoder

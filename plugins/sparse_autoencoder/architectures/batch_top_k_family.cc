#include "architectures/batch_top_k_family.h"

#include "architectures/jump_relu.h"
#include "reconstruction.h"
#include "sae.h"

namespace sparse_autoencoder {

void BatchTopKFamily::describe(nlohmann::json& cfg) const { describe_jump_relu(cfg); }

void BatchTopKFamily::add_tensors(Sae& sae) const { add_threshold(sae, /*trained=*/false); }

torch::Tensor BatchTopKFamily::activate(const Sae& sae, const torch::Tensor& pre) const {
  return jump_relu(pre, threshold_of(sae));
}

std::vector<SparseCodes> BatchTopKFamily::select(const Sae& sae, const torch::Tensor& centered,
                                                 const torch::Tensor& dead, SparseStepWorkspace& workspace) {
  const std::vector<std::int32_t> dead_features = dead.defined() ? features_in(dead) : std::vector<std::int32_t>{};
  std::vector<RowSelector> selectors = {selection_.candidates()};
  for (auto& s : aux_.selectors(dead_features)) selectors.push_back(std::move(s));
  std::vector<SparseCodes> codes = encode_and_select(sae, centered, selectors, workspace);
  codes[0] = selection_.select(sae, centered, codes[0], workspace);
  threshold_.observe(smallest_code(codes[0], workspace));
  return codes;
}

StepLoss BatchTopKFamily::autograd_step(Sae& sae, const torch::Tensor& x, const torch::Tensor& dead,
                                        StepEncoding::Form form) {
  const StepEncoding encoding(sae, x, form);
  const StepCodes codes = chosen_codes(encoding);
  const torch::Tensor reconstruction = dense_reconstruction(sae, codes);
  const torch::Tensor mse = (reconstruction - x).pow(2).mean();
  const torch::Tensor residual = (x - reconstruction).detach();
  return dense_result(with_own_terms(sae, x, codes, mse) + aux_.dense_loss(sae, encoding, residual, dead), mse,
                      codes);
}

StepCodes BatchTopKFamily::chosen_codes(const StepEncoding& encoding) {
  const torch::Tensor chosen = selection_.dense(encoding.pre(), encoding.batch());
  threshold_.observe(smallest_code(chosen, encoding.batch()));
  return encoding.codes(chosen);
}

}  // namespace sparse_autoencoder

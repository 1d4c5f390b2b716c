#include "aux_k.h"

#include <limits>

namespace sparse_autoencoder {

std::vector<dictlab::OptionSpec> AuxK::options() {
  using dictlab::OptionSpec;
  using dictlab::OptionType;
  return {
      OptionSpec{"aux_k", OptionType::kInt, "Dead latents used by the AuxK loss.", std::int64_t{256}}.at_least(0),
      OptionSpec{"aux_coefficient", OptionType::kFloat, "Weight of the AuxK loss.", 1.0 / 32.0}.at_least(0),
  };
}

AuxK AuxK::from_options(const dictlab::Options& options) {
  return AuxK(options.get_int("aux_k"), options.get_float("aux_coefficient"));
}

std::vector<RowSelector> AuxK::selectors(const std::vector<std::int32_t>& dead) const {
  if (dead.empty() || k_ <= 0 || coefficient_ == 0) return {};
  return {top_k_entries(std::min<std::int64_t>(k_, static_cast<std::int64_t>(dead.size())), &dead)};
}

double AuxK::add_term(const Sae& sae, const Reconstruction& main, SparseCodes& codes, torch::Tensor& error_storage,
                      std::vector<Term>& terms, const SparseStepWorkspace& workspace) const {
  // The dead latents reconstruct the residual x − x̂ = −error, a fixed
  // target, so their error is aux decode + error.
  const std::int64_t rows = main.error.size(0);
  const double denominator = std::max(
      1e-8, workspace.batch_sum(main.squared_error) / workspace.batch_sum(static_cast<double>(rows)));
  const float scale = static_cast<float>(2.0 * coefficient_ / (static_cast<double>(rows) * denominator));
  error_storage = torch::empty_like(main.error);
  const double squared = decode_errors(codes, sae.W_dec.contiguous(), main.error.data_ptr<float>(),
                                       error_storage.data_ptr<float>(), scale);
  terms.push_back({&codes, error_storage.data_ptr<float>(), scale});
  return coefficient_ * squared / static_cast<double>(rows) / denominator;
}

torch::Tensor AuxK::dense_loss(const Sae& sae, const StepEncoding& encoding, const torch::Tensor& residual,
                               const torch::Tensor& dead) const {
  const torch::Tensor& pre = encoding.pre();
  const std::int64_t dead_count = dead.defined() ? dead.sum().item<std::int64_t>() : 0;
  if (dead_count == 0 || k_ <= 0 || coefficient_ == 0) return torch::zeros({}, residual.options());
  const std::int64_t k = std::min(k_, dead_count);
  const torch::Tensor masked = pre.masked_fill(dead.logical_not().unsqueeze(0), -std::numeric_limits<float>::infinity());
  auto [values, indices] = masked.topk(k, 1);
  const torch::Tensor codes = torch::zeros_like(pre).scatter(1, indices, torch::relu(values));
  const torch::Tensor reconstruction = encoding.codes(codes).decode(sae.W_dec);
  const torch::Tensor residual_size = residual.pow(2).sum(1);
  const SparseStepWorkspace& batch = encoding.batch();
  // The whole batch's mean, every rank's rows: a constant to autograd.
  const torch::Tensor normaliser =
      batch.ranks ? torch::full({}, batch.batch_sum(residual_size.sum().item<double>()) /
                                        batch.batch_sum(static_cast<double>(residual.size(0))),
                                residual.options())
                  : residual_size.mean();
  return coefficient_ * (reconstruction - residual).pow(2).sum(1).mean() / normaliser.clamp_min(1e-8);
}

}  // namespace sparse_autoencoder

#include "step_codes.h"

#include <optional>

#include "sae.h"

namespace sparse_autoencoder {

StepCodes::StepCodes(torch::Tensor dense) : dense_(std::move(dense)) {}

StepCodes::StepCodes(torch::Tensor rows, torch::Tensor features, torch::Tensor values, std::int64_t batch_rows,
                     std::int64_t d_sae)
    : rows_(std::move(rows)),
      features_(std::move(features)),
      values_(std::move(values)),
      batch_rows_(batch_rows),
      d_sae_(d_sae) {}

torch::Tensor StepCodes::decode(const torch::Tensor& w_dec, const torch::Tensor& bias) const {
  if (dense_.defined()) {
    const torch::Tensor rows = w_dec.narrow(0, 0, dense_.size(1));
    return bias.defined() ? torch::addmm(bias, dense_, rows) : torch::mm(dense_, rows);
  }
  const torch::Tensor contributions = values_.unsqueeze(1) * w_dec.index_select(0, features_);
  const torch::Tensor start = bias.defined() ? bias.expand({batch_rows_, w_dec.size(1)})
                                             : torch::zeros({batch_rows_, w_dec.size(1)}, contributions.options());
  return start.index_add(0, rows_, contributions);
}

StepCodes StepCodes::first(std::int64_t features) const {
  if (dense_.defined()) return StepCodes(dense_.narrow(1, 0, features));
  const torch::Tensor kept = features_ < features;
  return StepCodes(rows_.masked_select(kept), features_.masked_select(kept), values_.masked_select(kept),
                   batch_rows_, features);
}

torch::Tensor StepCodes::fired() const {
  torch::NoGradGuard no_grad;
  if (dense_.defined()) return (dense_ > 0).any(0);
  return torch::zeros({d_sae_}, features_.options().dtype(torch::kBool)).index_fill(0, features_, true);
}

double StepCodes::l0() const {
  torch::NoGradGuard no_grad;
  if (dense_.defined()) return (dense_ > 0).sum(1).to(torch::kFloat).mean().item<double>();
  return static_cast<double>(features_.numel()) / static_cast<double>(batch_rows_);
}

StepEncoding::StepEncoding(const Sae& sae, const torch::Tensor& scaled_x, Form form)
    : sae_(sae), form_(form), input_(sae.architecture->encoder_input(sae, scaled_x)) {
  std::optional<torch::NoGradGuard> only_to_choose;
  if (form_.indexed) only_to_choose.emplace();
  pre_ = torch::addmm(sae.b_enc, input_, sae.W_enc);
}

StepCodes StepEncoding::codes(const torch::Tensor& chosen) const {
  if (!form_.indexed) return StepCodes(chosen);
  const torch::Tensor pairs = chosen.nonzero();
  const torch::Tensor rows = pairs.select(1, 0), features = pairs.select(1, 1);
  const torch::Tensor columns = sae_.W_enc.index_select(1, features);  // [d_in, pairs]
  const torch::Tensor values =
      torch::relu((input_.index_select(0, rows) * columns.t()).sum(1) + sae_.b_enc.index_select(0, features));
  return StepCodes(rows, features, values, chosen.size(0), chosen.size(1));
}

}  // namespace sparse_autoencoder

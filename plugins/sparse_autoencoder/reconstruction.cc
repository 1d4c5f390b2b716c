#include "reconstruction.h"

namespace sparse_autoencoder {

torch::Tensor centered_input(const Sae& sae, const torch::Tensor& x) { return (x - sae.b_dec).contiguous(); }

Reconstruction reconstruct(const Sae& sae, torch::Tensor centered, SparseCodes& codes) {
  Reconstruction r;
  r.centered = std::move(centered);
  const double elements = static_cast<double>(r.centered.numel());
  r.error = r.centered.neg();  // x̂ − x = −(x − b_dec) + Σ codes · W_dec rows
  r.scale = static_cast<float>(2.0 / elements);
  float* error = r.error.data_ptr<float>();
  r.squared_error = decode_errors(codes, sae.W_dec.contiguous(), error, error, r.scale);
  r.mse = r.squared_error / elements;
  return r;
}

void set_decoder_bias_gradient(Sae& sae, const torch::Tensor& error_gradient_sum, const torch::Tensor& b_enc_grad) {
  sae.b_dec.mutable_grad() = error_gradient_sum - torch::mv(sae.W_enc, b_enc_grad);
}

StepLoss step_loss(const Sae& sae, const Reconstruction& main, const SparseCodes& codes) {
  StepLoss result;
  result.mse = main.mse;
  result.loss = main.mse;
  result.l0 = static_cast<double>(codes.size()) / static_cast<double>(codes.rows());
  result.features_fired = fired_features(codes, sae.config.d_sae);
  return result;
}

torch::Tensor dense_reconstruction(const Sae& sae, const StepCodes& codes) {
  return codes.decode(sae.W_dec, sae.b_dec);
}

torch::Tensor dense_mse(const Sae& sae, const torch::Tensor& x, const StepCodes& codes) {
  return (dense_reconstruction(sae, codes) - x).pow(2).mean();
}

StepLoss dense_result(const torch::Tensor& loss, const torch::Tensor& mse, const StepCodes& codes) {
  loss.backward();
  return {codes.fired(), loss.item<double>(), mse.item<double>(), codes.l0()};
}

}  // namespace sparse_autoencoder

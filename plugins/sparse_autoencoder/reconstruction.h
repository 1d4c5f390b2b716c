#pragma once

// The term every SAE architecture shares: the mean squared error of
// x̂ = b_dec + Σ codes · W_dec rows against x, over selected codes.

#include <torch/torch.h>

#include "sae.h"
#include "sparse_kernels.h"
#include "step_codes.h"

namespace sparse_autoencoder {

struct Reconstruction {
  torch::Tensor centered;  // x − b_dec: what the encoder reads, [rows, d_in]
  torch::Tensor error;     // x̂ − x, [rows, d_in]
  float scale = 0;         // d mse / d error = 2 / (rows · d_in)
  double squared_error = 0;
  double mse = 0;

  Term term(const SparseCodes& codes) const { return {&codes, error.data_ptr<float>(), scale}; }
};

// x − b_dec, contiguous; the encoder's input for encode_and_select.
torch::Tensor centered_input(const Sae& sae, const torch::Tensor& x);
// Decodes `codes` against `centered` and fills each code's gradient.
Reconstruction reconstruct(const Sae& sae, torch::Tensor centered, SparseCodes& codes);
// b_dec is added after decoding and subtracted before encoding: its
// gradient is the summed error gradient minus W_enc times b_enc's gradient.
void set_decoder_bias_gradient(Sae& sae, const torch::Tensor& error_gradient_sum, const torch::Tensor& b_enc_grad);
// The step's result with the main codes' L0 and fired features.
StepLoss step_loss(const Sae& sae, const Reconstruction& main, const SparseCodes& codes);

// The steps autograd computes (step_codes.h): x̂ = b_dec + codes · W_dec,
// and the result of `loss` (after its backward) with L0 and fired features.
torch::Tensor dense_reconstruction(const Sae& sae, const StepCodes& codes);
torch::Tensor dense_mse(const Sae& sae, const torch::Tensor& x, const StepCodes& codes);
StepLoss dense_result(const torch::Tensor& loss, const torch::Tensor& mse, const StepCodes& codes);

}  // namespace sparse_autoencoder

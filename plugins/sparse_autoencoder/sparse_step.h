#pragma once

#include <torch/torch.h>

#include "sae.h"

namespace sparse_autoencoder {

struct StepLoss {
  torch::Tensor features_fired;  // [d_sae] bool: active in this batch
  double loss = 0;
  double mse = 0;
  double l0 = 0;
};

// Buffers a training loop keeps from step to step: a fresh [batch, d_sae]
// pre-activation matrix each step costs more in page faults than the sparse
// work after the GEMM.
struct SparseStepWorkspace {
  torch::Tensor pre;           // [encoder block rows, d_sae]
  torch::Tensor w_enc_grad_t;  // [d_sae, d_in]
  // Rows encoded at a time; 0 chooses from d_sae (see sparse_step.cc).
  std::int64_t encoder_block_rows = 0;
};

// The loss of one batch and the gradients of every SAE parameter (written to
// their .grad), computed as dense autograd would, but touching only the
// active features after the encoder GEMM: decoding, the code gradients, and
// the decoder and encoder gradients all cost O(batch · L0 · d_in) instead of
// O(batch · d_sae · d_in). `x` is already scaled. For "standard" SAEs the L1
// term uses l1_coefficient; for "topk" SAEs the AuxK term uses the dead
// latents, aux_k and aux_coefficient. W_dec's gradient comes already
// projected (Sae::project_decoder_gradient), as the trainer needs it.
StepLoss sparse_loss_and_gradients(Sae& sae, const torch::Tensor& x, double l1_coefficient, const torch::Tensor& dead,
                                   std::int64_t aux_k, double aux_coefficient,
                                   SparseStepWorkspace* workspace = nullptr);

}  // namespace sparse_autoencoder

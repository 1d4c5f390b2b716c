#pragma once

// An architecture whose codes are chosen entries of the pre-activations
// (TopK, BatchTopK, Matryoshka, transcoders): its autograd step is one
// function that holds the codes dense (the reference) or by index (what
// trains off the CPU), as step_codes.h describes.

#include "architecture.h"
#include "step_codes.h"

namespace sparse_autoencoder {

class CodeChoosingArchitecture : public Architecture {
 public:
  StepLoss dense_step(Sae& sae, const torch::Tensor& x, const torch::Tensor& dead,
                      const SparseStepWorkspace& workspace) final {
    return autograd_step(sae, x, dead, StepEncoding::Form{/*indexed=*/false, &workspace});
  }
  StepLoss indexed_step(Sae& sae, const torch::Tensor& x, const torch::Tensor& dead,
                        const SparseStepWorkspace& workspace) final {
    return autograd_step(sae, x, dead, StepEncoding::Form{/*indexed=*/true, &workspace});
  }

 protected:
  virtual StepLoss autograd_step(Sae& sae, const torch::Tensor& x, const torch::Tensor& dead,
                                 StepEncoding::Form form) = 0;
};

}  // namespace sparse_autoencoder

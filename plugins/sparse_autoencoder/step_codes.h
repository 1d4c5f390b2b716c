#pragma once

// The codes of a step that LibTorch's autograd computes, in one of two forms
// with the same values and gradients. Dense: a [rows, d_sae] tensor, decoded
// by a GEMM over every feature (the reference the CPU's sparse step is
// tested against). Indexed: the chosen (row, feature) pairs, each value
// recomputed from its own column of W_enc and decoded from its own row of
// W_dec, so neither the decode nor any gradient multiplies by the zeros; only
// choosing reads every pre-activation (one GEMM without autograd, and top-k).
// The indexed form is what trains off the CPU.

#include <torch/torch.h>

#include <cstdint>

#include "sparse_kernels.h"

namespace sparse_autoencoder {

struct Sae;

class StepCodes {
 public:
  explicit StepCodes(torch::Tensor dense);
  StepCodes(torch::Tensor rows, torch::Tensor features, torch::Tensor values, std::int64_t batch_rows,
            std::int64_t d_sae);

  // bias + Σ codes · W_dec's rows, [rows, W_dec's width]; no bias when
  // undefined.
  torch::Tensor decode(const torch::Tensor& w_dec, const torch::Tensor& bias = {}) const;
  // The codes of the first `features` features: a Matryoshka prefix.
  StepCodes first(std::int64_t features) const;
  // [d_sae] bool: the features active in some row.
  torch::Tensor fired() const;
  // Active codes per row.
  double l0() const;

 private:
  torch::Tensor dense_;  // defined in the dense form
  torch::Tensor rows_, features_, values_;
  std::int64_t batch_rows_ = 0, d_sae_ = 0;
};

// The encoder's side of such a step.
class StepEncoding {
 public:
  // Codes by index or dense, and the step's batch: the workspace's ranks
  // when the batch is split over several (what depends on the whole batch
  // is computed over all of them).
  struct Form {
    bool indexed = false;
    const SparseStepWorkspace* batch = nullptr;
  };
  StepEncoding(const Sae& sae, const torch::Tensor& scaled_x, Form form);

  const SparseStepWorkspace& batch() const { return *form_.batch; }

  // The pre-activations to choose codes from: with autograd in the dense
  // form, without it in the indexed form (they only choose there).
  const torch::Tensor& pre() const { return pre_; }
  // `chosen`, codes computed from pre() (zero where not chosen), as the
  // step's codes: themselves in the dense form; in the indexed form their
  // nonzero entries, valued again as the ReLU of the encoder there.
  StepCodes codes(const torch::Tensor& chosen) const;

 private:
  const Sae& sae_;
  Form form_;
  torch::Tensor input_;  // what the encoder reads, with autograd
  torch::Tensor pre_;
};

}  // namespace sparse_autoencoder

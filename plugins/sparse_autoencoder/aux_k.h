#pragma once

// Gao et al.'s auxiliary loss for TopK-style dictionaries: the residual
// x − x̂ the main codes leave, reconstructed by the top aux_k pre-activations
// among dead latents, normalised by the residual's own size so the term does
// not vanish as the main reconstruction improves. It keeps dead latents
// learning.

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "dictlab/options.h"
#include "reconstruction.h"
#include "step_codes.h"

namespace sparse_autoencoder {

class AuxK {
 public:
  AuxK(std::int64_t k, double coefficient) : k_(k), coefficient_(coefficient) {}
  // The plugin options `aux_k` and `aux_coefficient`, declared once for every
  // plugin that uses AuxK, and the AuxK they describe.
  static std::vector<dictlab::OptionSpec> options();
  static AuxK from_options(const dictlab::Options& options);

  // The selector for encode_and_select, over `dead` (kept alive by the
  // caller), or none when no latent is dead.
  std::vector<RowSelector> selectors(const std::vector<std::int32_t>& dead) const;
  // Adds the term over `codes` (from the selector) to `terms`, its error in
  // `error_storage`; returns its loss.
  // The normaliser is the whole batch's (all ranks').
  double add_term(const Sae& sae, const Reconstruction& main, SparseCodes& codes, torch::Tensor& error_storage,
                  std::vector<Term>& terms, const SparseStepWorkspace& workspace) const;
  // The term as autograd computes it (dense or indexed, as `encoding`
  // holds codes), from the detached residual.
  torch::Tensor dense_loss(const Sae& sae, const StepEncoding& encoding, const torch::Tensor& residual,
                           const torch::Tensor& dead) const;

 private:
  std::int64_t k_;
  double coefficient_;
};

}  // namespace sparse_autoencoder

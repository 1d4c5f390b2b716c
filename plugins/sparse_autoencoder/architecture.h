#pragma once

// What one kind of dictionary does differently from the others: how codes
// are picked from pre-activations, the loss terms beside the reconstruction,
// and how it is saved. The trainer, the checkpoints and the plugin code are
// shared; each architecture is one file in architectures/ (as SAELens keeps
// saes/<arch>_sae.py) plus its plugin in sae_<name>.cc.

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace sparse_autoencoder {

struct Sae;
struct SparseStepWorkspace;

struct StepLoss {
  torch::Tensor features_fired;  // [d_sae] bool: active in this batch
  double loss = 0;
  double mse = 0;
  double l0 = 0;
};

class Architecture {
 public:
  virtual ~Architecture() = default;

  // Adds SAELens' keys for the saved form to cfg.json: "architecture",
  // "activation_fn_str", "activation_fn_kwargs" and what inference needs.
  virtual void describe(nlohmann::json& cfg) const = 0;
  // Creates the tensors beside W_enc, b_enc, W_dec and b_dec (named as
  // SAELens names them) in sae.extra_parameters or sae.state.
  virtual void add_tensors(Sae& /*sae*/) const {}

  // What the encoder reads of the scaled input: x − b_dec for an SAE, x
  // itself for a transcoder (its b_dec is on the output side).
  virtual torch::Tensor encoder_input(const Sae& sae, const torch::Tensor& scaled_x) const;
  // A term the output gets straight from the scaled input beside the decoded
  // codes (a skip transcoder's x·W_skipᵀ), in the scaled output space;
  // undefined when there is none.
  virtual torch::Tensor skip(const Sae& /*sae*/, const torch::Tensor& /*scaled_x*/) const { return {}; }

  // The factor an extra tensor is saved with once the activation scales are
  // folded into the saved weights (sae_file.cc): W_skip's is s_in / s_out.
  virtual double folded_factor(const std::string& /*name*/, double /*input_scale*/, double /*output_scale*/) const {
    return 1.0;
  }

  // Codes from pre-activations [rows, d_sae] at inference.
  virtual torch::Tensor activate(const Sae& sae, const torch::Tensor& pre) const = 0;
  // Codes during training, where they may depend on the whole batch.
  virtual torch::Tensor training_codes(const Sae& sae, const torch::Tensor& pre) const { return activate(sae, pre); }

  // One batch's loss, and every parameter's gradient in its .grad, computed
  // over the selected codes only (see sparse_kernels.h); W_dec's gradient
  // comes projected (Sae::project_decoder_gradient). `x` holds scaled
  // training rows (a transcoder's: input then target, Sae::input_of); `dead`
  // flags features silent for the trainer's dead_steps.
  virtual StepLoss sparse_step(Sae& sae, const torch::Tensor& x, const torch::Tensor& dead,
                               SparseStepWorkspace& workspace) = 0;
  // The same loss by LibTorch autograd over dense tensors: the reference the
  // sparse step is tested against (W_dec's gradient not projected). Of the
  // workspace it reads only the ranks (what depends on the whole batch).
  virtual StepLoss dense_step(Sae& sae, const torch::Tensor& x, const torch::Tensor& dead,
                              const SparseStepWorkspace& workspace) = 0;
  // The same loss by autograd with the codes held by index (step_codes.h):
  // what trains off the CPU. An architecture whose codes are chosen entries
  // (architectures/code_choosing_architecture.h) has both from one function;
  // the others run their dense step (L1's first codes are half
  // the dictionary; JumpReLU's threshold gradient reads pre-activations
  // beside the active ones).
  virtual StepLoss indexed_step(Sae& sae, const torch::Tensor& x, const torch::Tensor& dead,
                                const SparseStepWorkspace& workspace) {
    return dense_step(sae, x, dead, workspace);
  }
  // After each optimiser step (running thresholds, clamps); `step` counts
  // from 0.
  virtual void after_step(Sae& /*sae*/, std::int64_t /*step*/) {}

  // Called at the start with the pre-activations of a sample of scaled
  // training rows, for state that should start where the data puts it.
  virtual void start_from_sample(Sae& /*sae*/, const torch::Tensor& /*pre*/) const {}

  // The learning rate of an extra parameter (named as in add_tensors), as a
  // multiple of the weights'.
  virtual double learning_rate_factor(const std::string& /*name*/) const { return 1.0; }

  // Active features per activation before training, which picks the first
  // step's kernels (sparse or dense).
  virtual double initial_l0(const Sae& sae) const = 0;
};

// The architecture a saved cfg.json describes (its saved form: a BatchTopK
// dictionary loads as the JumpReLU it was saved as).
std::shared_ptr<Architecture> architecture_from_cfg(const nlohmann::json& cfg);

}  // namespace sparse_autoencoder

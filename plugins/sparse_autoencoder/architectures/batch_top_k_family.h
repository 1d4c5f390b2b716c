#pragma once

// What BatchTopK and Matryoshka share: batch-wide codes with AuxK over dead
// latents, the running threshold, and the JumpReLU form they are saved and
// used in at inference. Each adds its own loss terms.

#include "architectures/code_choosing_architecture.h"
#include "aux_k.h"
#include "batch_top_k.h"
#include "sparse_kernels.h"

namespace sparse_autoencoder {

class BatchTopKFamily : public CodeChoosingArchitecture {
 public:
  BatchTopKFamily(BatchTopKSelection selection, AuxK aux, RunningThreshold threshold)
      : selection_(selection), aux_(aux), threshold_(threshold) {}

  void describe(nlohmann::json& cfg) const override;
  void add_tensors(Sae& sae) const override;
  torch::Tensor activate(const Sae& sae, const torch::Tensor& pre) const override;
  torch::Tensor training_codes(const Sae&, const torch::Tensor& pre) const override {
    return selection_.dense(pre, SparseStepWorkspace{});
  }
  void after_step(Sae& sae, std::int64_t step) override { threshold_.update(sae, step); }
  double initial_l0(const Sae&) const override { return static_cast<double>(selection_.k()); }

 protected:
  // The batch's codes (first) and AuxK's over dead latents (second, when any
  // latent is dead), noting the smallest kept code for the threshold.
  std::vector<SparseCodes> select(const Sae& sae, const torch::Tensor& centered, const torch::Tensor& dead,
                                  SparseStepWorkspace& workspace);
  const AuxK& aux() const { return aux_; }
  // The loss by autograd: the reconstruction's MSE, the architecture's own
  // terms, then AuxK's.
  StepLoss autograd_step(Sae& sae, const torch::Tensor& x, const torch::Tensor& dead,
                         StepEncoding::Form form) final;
  // `loss` with the architecture's own terms over `codes` added (none here).
  virtual torch::Tensor with_own_terms(const Sae& /*sae*/, const torch::Tensor& /*x*/, const StepCodes& /*codes*/,
                                       torch::Tensor loss) const {
    return loss;
  }

 private:
  // The batch's codes as autograd holds them, noting the smallest kept code
  // for the threshold.
  StepCodes chosen_codes(const StepEncoding& encoding);

  BatchTopKSelection selection_;
  AuxK aux_;
  RunningThreshold threshold_;
};

}  // namespace sparse_autoencoder

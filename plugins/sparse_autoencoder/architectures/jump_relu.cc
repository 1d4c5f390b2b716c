#include "architectures/jump_relu.h"

#include "architectures/architectures.h"
#include "dictlab/errors.h"
#include "sae.h"

namespace sparse_autoencoder {

torch::Tensor jump_relu(const torch::Tensor& pre, const torch::Tensor& threshold) {
  return torch::relu(pre) * (pre > threshold).to(pre.scalar_type());
}

void describe_jump_relu(nlohmann::json& cfg) {
  cfg["architecture"] = "jumprelu";
  cfg["activation_fn_str"] = "relu";
  cfg["activation_fn_kwargs"] = nlohmann::json::object();
}

void add_threshold(Sae& sae, bool trained) {
  torch::Tensor threshold = torch::zeros({sae.config.d_sae});
  if (trained) sae.extra_parameters["threshold"] = threshold.set_requires_grad(true);
  else sae.state["threshold"] = threshold;
}

const torch::Tensor& threshold_of(const Sae& sae) {
  if (auto it = sae.extra_parameters.find("threshold"); it != sae.extra_parameters.end()) return it->second;
  return sae.state.at("threshold");
}

namespace {

// A saved JumpReLU dictionary, as loaded for inference; whichever
// architecture trained it, it is not trained further.
class SavedJumpReLU final : public Architecture {
 public:
  void describe(nlohmann::json& cfg) const override { describe_jump_relu(cfg); }
  void add_tensors(Sae& sae) const override { add_threshold(sae, /*trained=*/false); }
  torch::Tensor activate(const Sae& sae, const torch::Tensor& pre) const override {
    return jump_relu(pre, threshold_of(sae));
  }
  StepLoss sparse_step(Sae&, const torch::Tensor&, const torch::Tensor&, SparseStepWorkspace&) override {
    not_trainable();
  }
  StepLoss dense_step(Sae&, const torch::Tensor&, const torch::Tensor&, const SparseStepWorkspace&) override {
    not_trainable();
  }
  double initial_l0(const Sae& sae) const override { return static_cast<double>(sae.config.d_sae); }

 private:
  [[noreturn]] static void not_trainable() {
    throw dictlab::PluginError("a saved JumpReLU dictionary is for inference; train a new one instead");
  }
};

}  // namespace

std::shared_ptr<Architecture> jumprelu_from_cfg(const nlohmann::json&) { return std::make_shared<SavedJumpReLU>(); }

}  // namespace sparse_autoencoder

// The Towards Monosemanticity recipe: ReLU codes, and an L1 penalty on them
// (the decoder rows are unit norm, so SAELens' λ·Σ f·‖W_dec‖ is λ·Σ f).
#include "architectures/architectures.h"
#include "reconstruction.h"
#include "sae.h"

namespace sparse_autoencoder {
namespace {

class Standard final : public Architecture {
 public:
  explicit Standard(double l1_coefficient) : l1_coefficient_(l1_coefficient) {}

  void describe(nlohmann::json& cfg) const override {
    cfg["architecture"] = "standard";
    cfg["activation_fn_str"] = "relu";
    cfg["activation_fn_kwargs"] = nlohmann::json::object();
  }

  torch::Tensor activate(const Sae&, const torch::Tensor& pre) const override { return torch::relu(pre); }

  StepLoss sparse_step(Sae& sae, const torch::Tensor& x, const torch::Tensor&, SparseStepWorkspace& ws) override {
    torch::NoGradGuard no_grad;
    torch::Tensor centered = centered_input(sae, x);
    std::vector<SparseCodes> codes = encode_and_select(sae, centered, {positive_entries()}, ws);
    SparseCodes& main = codes[0];
    const Reconstruction r = reconstruct(sae, std::move(centered), main);
    const std::int64_t rows = main.rows();
    const float l1_grad = static_cast<float>(l1_coefficient_ / static_cast<double>(rows));
    double l1 = 0;
    for (std::size_t i = 0; i < main.size(); ++i) {
      main.grad[i] += l1_grad;
      l1 += main.value[i];
    }
    StepLoss result = step_loss(sae, r, main);
    result.loss += l1_coefficient_ * l1 / static_cast<double>(rows);
    const torch::Tensor b_enc_grad = backpropagate(sae, {r.term(main)}, r.centered, ws);
    set_decoder_bias_gradient(sae, r.error.sum(0) * r.scale, b_enc_grad);
    return result;
  }

  // The L1 penalty is a mean over rows: each rank's share of it sums to the
  // batch's, so nothing here needs the other ranks.
  StepLoss dense_step(Sae& sae, const torch::Tensor& x, const torch::Tensor&, const SparseStepWorkspace&) override {
    const torch::Tensor codes = torch::relu(sae.pre_activations(x));
    const StepCodes step_codes(codes);
    const torch::Tensor mse = dense_mse(sae, x, step_codes);
    return dense_result(mse + l1_coefficient_ * codes.sum(1).mean(), mse, step_codes);
  }

  // About half the features fire on a fresh dictionary.
  double initial_l0(const Sae& sae) const override { return static_cast<double>(sae.config.d_sae) / 2; }

 private:
  double l1_coefficient_;
};

}  // namespace

std::shared_ptr<Architecture> standard_from_options(const dictlab::Options& options) {
  return std::make_shared<Standard>(options.get_float("l1_coefficient"));
}

std::shared_ptr<Architecture> standard_from_cfg(const nlohmann::json&) { return std::make_shared<Standard>(0.0); }

}  // namespace sparse_autoencoder

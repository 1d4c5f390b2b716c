// TopK (Gao et al. 2024): the k largest pre-activations of each activation,
// after a ReLU; AuxK lets dead latents learn.
#include "architectures/architectures.h"
#include "architectures/code_choosing_architecture.h"
#include "aux_k.h"
#include "dictlab/errors.h"
#include "reconstruction.h"
#include "sae.h"

namespace sparse_autoencoder {
namespace {

class TopK final : public CodeChoosingArchitecture {
 public:
  TopK(std::int64_t k, AuxK aux) : k_(k), aux_(aux) {}

  void describe(nlohmann::json& cfg) const override {
    cfg["architecture"] = "topk";
    cfg["activation_fn_str"] = "topk";
    cfg["activation_fn_kwargs"] = {{"k", k_}};
    cfg["k"] = k_;
  }

  torch::Tensor activate(const Sae&, const torch::Tensor& pre) const override {
    auto [values, indices] = pre.topk(k_, /*dim=*/1);
    return torch::zeros_like(pre).scatter(1, indices, torch::relu(values));
  }

  StepLoss sparse_step(Sae& sae, const torch::Tensor& x, const torch::Tensor& dead, SparseStepWorkspace& ws) override {
    torch::NoGradGuard no_grad;
    torch::Tensor centered = centered_input(sae, x);
    const std::vector<std::int32_t> dead_features = dead.defined() ? features_in(dead) : std::vector<std::int32_t>{};
    std::vector<RowSelector> selectors = {top_k_entries(k_)};
    for (auto& s : aux_.selectors(dead_features)) selectors.push_back(std::move(s));
    std::vector<SparseCodes> codes = encode_and_select(sae, centered, selectors, ws);
    const Reconstruction r = reconstruct(sae, std::move(centered), codes[0]);
    StepLoss result = step_loss(sae, r, codes[0]);
    std::vector<Term> terms = {r.term(codes[0])};
    torch::Tensor aux_error;
    if (codes.size() > 1) result.loss += aux_.add_term(sae, r, codes[1], aux_error, terms, ws);
    const torch::Tensor b_enc_grad = backpropagate(sae, terms, r.centered, ws);
    set_decoder_bias_gradient(sae, r.error.sum(0) * r.scale, b_enc_grad);
    return result;
  }


  double initial_l0(const Sae&) const override { return static_cast<double>(k_); }

 private:
  StepLoss autograd_step(Sae& sae, const torch::Tensor& x, const torch::Tensor& dead,
                         StepEncoding::Form form) override {
    const StepEncoding encoding(sae, x, form);
    const StepCodes codes = encoding.codes(activate(sae, encoding.pre()));
    const torch::Tensor reconstruction = dense_reconstruction(sae, codes);
    const torch::Tensor mse = (reconstruction - x).pow(2).mean();
    const torch::Tensor residual = (x - reconstruction).detach();
    return dense_result(mse + aux_.dense_loss(sae, encoding, residual, dead), mse, codes);
  }

  std::int64_t k_;
  AuxK aux_;
};

}  // namespace

std::shared_ptr<Architecture> topk_from_options(const dictlab::Options& options) {
  if (options.get_int("k") > options.get_int("d_sae")) throw dictlab::OptionError("k", "must not exceed d_sae");
  return std::make_shared<TopK>(options.get_int("k"), AuxK::from_options(options));
}

std::shared_ptr<Architecture> topk_from_cfg(const nlohmann::json& cfg) {
  const auto& kwargs = cfg.value("activation_fn_kwargs", nlohmann::json::object());
  const std::int64_t k = kwargs.contains("k") ? kwargs["k"].get<std::int64_t>() : cfg.value("k", std::int64_t{0});
  if (k <= 0) throw dictlab::PluginError("cfg.json: a topk dictionary needs a positive k (activation_fn_kwargs.k)");
  return std::make_shared<TopK>(k, AuxK(0, 0.0));
}

}  // namespace sparse_autoencoder

// BatchTopK (Bussmann et al. 2024): the B·k largest pre-activations of a
// batch of B activations, so each activation gets as many codes as it needs
// and k only on average; AuxK lets dead latents learn. At inference there is
// no batch: a running threshold θ (batch_top_k.h) stands in for the cut,
// and the dictionary is saved and used as the JumpReLU it then is.
#include "architectures/architectures.h"
#include "batch_top_k_options.h"
#include "architectures/jump_relu.h"
#include "aux_k.h"
#include "batch_top_k.h"
#include "reconstruction.h"
#include "sae.h"

namespace sparse_autoencoder {
namespace {

class BatchTopK final : public Architecture {
 public:
  BatchTopK(BatchTopKSelection selection, AuxK aux, RunningThreshold threshold)
      : selection_(selection), aux_(aux), threshold_(threshold) {}

  void describe(nlohmann::json& cfg) const override { describe_jump_relu(cfg); }
  void add_tensors(Sae& sae) const override { add_threshold(sae, /*trained=*/false); }

  torch::Tensor activate(const Sae& sae, const torch::Tensor& pre) const override {
    return jump_relu(pre, threshold_of(sae));
  }
  torch::Tensor training_codes(const Sae&, const torch::Tensor& pre) const override { return selection_.dense(pre); }

  StepLoss sparse_step(Sae& sae, const torch::Tensor& x, const torch::Tensor& dead, SparseStepWorkspace& ws) override {
    torch::NoGradGuard no_grad;
    torch::Tensor centered = centered_input(sae, x);
    const std::vector<std::int32_t> dead_features = dead.defined() ? features_in(dead) : std::vector<std::int32_t>{};
    std::vector<RowSelector> selectors = {selection_.candidates()};
    for (auto& s : aux_.selectors(dead_features)) selectors.push_back(std::move(s));
    std::vector<SparseCodes> codes = encode_and_select(sae, centered, selectors, ws);
    codes[0] = selection_.select(sae, centered, codes[0]);
    threshold_.observe(smallest_code(codes[0]));
    const Reconstruction r = reconstruct(sae, std::move(centered), codes[0]);
    StepLoss result = step_loss(sae, r, codes[0]);
    std::vector<Term> terms = {r.term(codes[0])};
    torch::Tensor aux_error;
    if (codes.size() > 1) result.loss += aux_.add_term(sae, r, codes[1], aux_error, terms);
    const torch::Tensor b_enc_grad = backpropagate(sae, terms, r.centered, ws);
    set_decoder_bias_gradient(sae, r.error.sum(0) * r.scale, b_enc_grad);
    return result;
  }

  StepLoss dense_step(Sae& sae, const torch::Tensor& x, const torch::Tensor& dead) override {
    const torch::Tensor pre = sae.pre_activations(x);
    const torch::Tensor codes = selection_.dense(pre);
    threshold_.observe(smallest_code(codes));
    const torch::Tensor mse = dense_mse(sae, x, codes);
    const torch::Tensor residual = (x - torch::addmm(sae.b_dec, codes, sae.W_dec)).detach();
    return dense_result(mse + aux_.dense_loss(sae, pre, residual, dead), mse, codes);
  }

  void after_step(Sae& sae, std::int64_t step) override { threshold_.update(sae, step); }

  double initial_l0(const Sae&) const override { return static_cast<double>(selection_.k()); }

 private:
  BatchTopKSelection selection_;
  AuxK aux_;
  RunningThreshold threshold_;
};

}  // namespace

std::shared_ptr<Architecture> batch_topk_from_options(const dictlab::Options& options) {
  return std::make_shared<BatchTopK>(batch_top_k_selection(options), batch_top_k_aux(options),
                                     running_threshold(options));
}

}  // namespace sparse_autoencoder

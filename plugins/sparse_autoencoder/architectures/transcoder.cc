// Transcoders (Dunefsky et al. 2024; sparsify's --transcode, SAELens'
// saes/transcoder.py): codes read the MLP's input x and predict its output
// y, ŷ = b_dec + Σ codes · W_dec rows (+ x·W_skipᵀ, SAELens' SkipTranscoder,
// W_skip starting at zero). TopK codes and AuxK, as in architectures/topk.cc.
#include "architectures/architectures.h"
#include "architectures/code_choosing_architecture.h"
#include "aux_k.h"
#include "dictlab/errors.h"
#include "reconstruction.h"
#include "sae.h"

namespace sparse_autoencoder {
namespace {

constexpr const char* kSkip = "W_skip";

class Transcoder final : public CodeChoosingArchitecture {
 public:
  Transcoder(std::int64_t k, bool skip, AuxK aux) : k_(k), skip_(skip), aux_(aux) {}

  void describe(nlohmann::json& cfg) const override {
    cfg["architecture"] = skip_ ? "skip_transcoder" : "transcoder";
    cfg["activation_fn_str"] = "topk";
    cfg["activation_fn_kwargs"] = {{"k", k_}};
    cfg["k"] = k_;
  }

  void add_tensors(Sae& sae) const override {
    if (skip_)
      sae.extra_parameters[kSkip] = torch::zeros({sae.config.output_width(), sae.config.d_in}).set_requires_grad(true);
  }

  torch::Tensor encoder_input(const Sae&, const torch::Tensor& scaled_x) const override { return scaled_x; }

  torch::Tensor skip(const Sae& sae, const torch::Tensor& scaled_x) const override {
    return skip_ ? torch::mm(scaled_x, sae.extra_parameters.at(kSkip).t()) : torch::Tensor();
  }

  double folded_factor(const std::string& name, double input_scale, double output_scale) const override {
    return name == kSkip ? input_scale / output_scale : 1.0;
  }

  torch::Tensor activate(const Sae&, const torch::Tensor& pre) const override {
    auto [values, indices] = pre.topk(k_, /*dim=*/1);
    return torch::zeros_like(pre).scatter(1, indices, torch::relu(values));
  }

  StepLoss sparse_step(Sae& sae, const torch::Tensor& rows, const torch::Tensor& dead,
                       SparseStepWorkspace& ws) override {
    torch::NoGradGuard no_grad;
    const torch::Tensor x = sae.input_of(rows).contiguous();
    const std::vector<std::int32_t> dead_features = dead.defined() ? features_in(dead) : std::vector<std::int32_t>{};
    std::vector<RowSelector> selectors = {top_k_entries(k_)};
    for (auto& s : aux_.selectors(dead_features)) selectors.push_back(std::move(s));
    std::vector<SparseCodes> codes = encode_and_select(sae, x, selectors, ws);
    // The error starts from everything but the codes: b_dec + skip − y.
    Reconstruction r;
    r.error = (sae.b_dec - sae.target_of(rows)).contiguous();
    if (skip_) r.error.addmm_(x, sae.extra_parameters.at(kSkip).t());
    const double elements = static_cast<double>(r.error.numel());
    r.scale = static_cast<float>(2.0 / elements);
    float* error = r.error.data_ptr<float>();
    r.squared_error = decode_errors(codes[0], sae.W_dec.contiguous(), error, error, r.scale);
    r.mse = r.squared_error / elements;
    StepLoss result = step_loss(sae, r, codes[0]);
    std::vector<Term> terms = {r.term(codes[0])};
    torch::Tensor aux_error;
    if (codes.size() > 1) result.loss += aux_.add_term(sae, r, codes[1], aux_error, terms, ws);
    backpropagate(sae, terms, x, ws);
    // b_dec and W_skip act on the output only: the main term's error is all
    // of their gradient (AuxK's target, the residual, is held fixed).
    const torch::Tensor error_gradient = r.error * r.scale;
    sae.b_dec.mutable_grad() = error_gradient.sum(0);
    if (skip_) sae.extra_parameters.at(kSkip).mutable_grad() = torch::mm(error_gradient.t(), x);
    return result;
  }


  double initial_l0(const Sae&) const override { return static_cast<double>(k_); }

 private:
  StepLoss autograd_step(Sae& sae, const torch::Tensor& rows, const torch::Tensor& dead,
                         StepEncoding::Form form) override {
    const torch::Tensor x = sae.input_of(rows), y = sae.target_of(rows);
    const StepEncoding encoding(sae, x, form);
    const StepCodes codes = encoding.codes(activate(sae, encoding.pre()));
    torch::Tensor prediction = dense_reconstruction(sae, codes);
    if (skip_) prediction = prediction + skip(sae, x);
    const torch::Tensor mse = (prediction - y).pow(2).mean();
    const torch::Tensor residual = (y - prediction).detach();
    return dense_result(mse + aux_.dense_loss(sae, encoding, residual, dead), mse, codes);
  }

  std::int64_t k_;
  bool skip_;
  AuxK aux_;
};

}  // namespace

std::shared_ptr<Architecture> transcoder_from_options(const dictlab::Options& options) {
  if (options.get_int("k") > options.get_int("d_sae")) throw dictlab::OptionError("k", "must not exceed d_sae");
  return std::make_shared<Transcoder>(options.get_int("k"), options.get_bool("skip"),
                                      AuxK::from_options(options));
}

std::shared_ptr<Architecture> transcoder_from_cfg(const nlohmann::json& cfg) {
  const auto& kwargs = cfg.value("activation_fn_kwargs", nlohmann::json::object());
  const std::int64_t k = kwargs.contains("k") ? kwargs["k"].get<std::int64_t>() : cfg.value("k", std::int64_t{0});
  if (k <= 0) throw dictlab::PluginError("cfg.json: a transcoder needs a positive k (activation_fn_kwargs.k)");
  if (cfg.value("d_out", std::int64_t{0}) <= 0)
    throw dictlab::PluginError("cfg.json: a transcoder needs d_out, the width of the activations it predicts");
  return std::make_shared<Transcoder>(k, cfg.value("architecture", std::string()) == "skip_transcoder", AuxK(0, 0.0));
}

}  // namespace sparse_autoencoder

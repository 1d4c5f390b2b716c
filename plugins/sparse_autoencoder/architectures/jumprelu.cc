// JumpReLU trained (Rajamanoharan et al. 2024): f = z·H(z − θ) with a learned
// threshold θ per feature, trained through straight-through estimators with
// a rectangle kernel K of bandwidth ε: ∂f/∂θ ≈ −(θ/ε)·K((z − θ)/ε) and
// ∂H(z − θ)/∂θ ≈ −(1/ε)·K((z − θ)/ε), K(u) = 1 for |u| < 1/2. θ is stored
// itself, not as log θ: under Adam a log threshold moves by about θ·lr a
// step and freezes at a small start (SAELens issues #494, #719).
//
// Only entries within ε/2 of their threshold give θ a gradient, so the
// sparse step visits the active codes (z > θ) and those near entries; the
// pre-activation loss, which touches every inactive entry, is summed from
// column totals instead (PreActivationLoss).
#include <ATen/Parallel.h>

#include <algorithm>
#include <map>
#include <optional>

#include "architectures/architectures.h"
#include "architectures/jump_relu.h"
#include "dictlab/errors.h"
#include "reconstruction.h"
#include "sae.h"
#include "vector_kernels.h"

namespace sparse_autoencoder {
namespace {

// Keeps θ positive: at θ ≤ 0 a code in (θ, 0] would be negative in training
// but zero in the saved form (relu(z)·H(z − θ)), and the STE's −θ/ε factor
// would change sign.
constexpr double kMinimumThreshold = 1e-6;

// ---- The dense reference: autograd through the pseudo-derivatives ----

torch::Tensor rectangle(const torch::Tensor& pre, const torch::Tensor& threshold, double bandwidth) {
  return ((pre - threshold).abs() < bandwidth / 2).to(pre.scalar_type());
}

// z·H(z − θ): z's gradient passes where the code is active, θ's through the
// rectangle kernel.
struct JumpReLUFunction : torch::autograd::Function<JumpReLUFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& pre,
                               const torch::Tensor& threshold, double bandwidth) {
    ctx->save_for_backward({pre, threshold});
    ctx->saved_data["bandwidth"] = bandwidth;
    return pre * (pre > threshold).to(pre.scalar_type());
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    const auto saved = ctx->get_saved_variables();
    const double bandwidth = ctx->saved_data["bandwidth"].toDouble();
    const torch::Tensor& pre = saved[0];
    const torch::Tensor& threshold = saved[1];
    const torch::Tensor pre_grad = grad[0] * (pre > threshold).to(pre.scalar_type());
    const torch::Tensor threshold_grad = (-(threshold / bandwidth) * rectangle(pre, threshold, bandwidth) * grad[0]).sum(0);
    return {pre_grad, threshold_grad, torch::Tensor()};
  }
};

// H(z − θ): no gradient to z; θ's through the rectangle kernel.
struct StepFunction : torch::autograd::Function<StepFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& pre,
                               const torch::Tensor& threshold, double bandwidth) {
    ctx->save_for_backward({pre, threshold});
    ctx->saved_data["bandwidth"] = bandwidth;
    return (pre > threshold).to(pre.scalar_type());
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grad) {
    const auto saved = ctx->get_saved_variables();
    const double bandwidth = ctx->saved_data["bandwidth"].toDouble();
    const torch::Tensor threshold_grad = (-(1.0 / bandwidth) * rectangle(saved[0], saved[1], bandwidth) * grad[0]).sum(0);
    return {torch::Tensor(), threshold_grad, torch::Tensor()};
  }
};

// What a dense penalty reads: all [rows, d_sae] but the L0 (a scalar whose
// gradient reaches θ through StepFunction) and the decoder norms [d_sae].
struct DenseCodes {
  torch::Tensor pre, codes, threshold, l0, decoder_norms;
};

// ---- The sparsity penalties ----

struct ValueAndSlope {
  double value = 0;
  double slope = 0;
};

// The penalty beside the reconstruction, in the sparse step's terms (codes,
// the batch's L0, the pre-activation loss) and as a dense reference.
class SparsityPenalty {
 public:
  virtual ~SparsityPenalty() = default;
  // d penalty / d f for one code f (0 where inactive), before the mean over rows.
  virtual double code_slope(float /*f*/) const { return 0; }
  // Adds the mean over rows of code_slope to each active code's gradient;
  // returns the penalty on the codes.
  virtual double add_to_codes(SparseCodes& /*active*/) const { return 0; }
  // The penalty as a function of the batch's L0, and its derivative.
  virtual ValueAndSlope on_l0(double /*l0*/) const { return {}; }
  // λ_p of Anthropic's pre-activation loss; 0 for none.
  virtual double pre_activation_coefficient() const { return 0; }
  // The L0 the penalty aims at, where it names one.
  virtual std::optional<double> target_l0() const { return std::nullopt; }
  virtual torch::Tensor dense_loss(const DenseCodes& d) const = 0;
  // The same when this rank's rows are part of a batch whose L0 is
  // `batch_l0`. A penalty on the batch's L0 is taken there, linear in this
  // rank's L0 for autograd, so that the ranks' gradients, weighted by their
  // shares, sum to the batch's (on_l0_alone); a mean over rows needs
  // nothing of the other ranks.
  virtual torch::Tensor dense_loss_of_part(const DenseCodes& d, double /*batch_l0*/) const { return dense_loss(d); }
};

// dense_loss_of_part of a penalty on the batch's L0 alone.
torch::Tensor on_l0_alone(const SparsityPenalty& penalty, const DenseCodes& d, double batch_l0) {
  const ValueAndSlope at = penalty.on_l0(batch_l0);
  return at.slope * (d.l0 - d.l0.item<double>()) + at.value;
}

// λ·L0, L0 = Σ_j H(z_j − θ_j) (Rajamanoharan et al.).
class L0Penalty final : public SparsityPenalty {
 public:
  explicit L0Penalty(double coefficient) : coefficient_(coefficient) {}
  ValueAndSlope on_l0(double l0) const override { return {coefficient_ * l0, coefficient_}; }
  torch::Tensor dense_loss(const DenseCodes& d) const override { return coefficient_ * d.l0; }
  torch::Tensor dense_loss_of_part(const DenseCodes& d, double batch_l0) const override {
    return on_l0_alone(*this, d, batch_l0);
  }

 private:
  double coefficient_;
};

// λ·(L0 / target − 1)², pulling the batch's L0 to the target
// (dictionary_learning's JumpReLU trainer).
class TargetL0Penalty final : public SparsityPenalty {
 public:
  TargetL0Penalty(double coefficient, double target) : coefficient_(coefficient), target_(target) {}
  ValueAndSlope on_l0(double l0) const override {
    const double off = l0 / target_ - 1;
    return {coefficient_ * off * off, 2 * coefficient_ * off / target_};
  }
  torch::Tensor dense_loss(const DenseCodes& d) const override {
    return coefficient_ * (d.l0 / target_ - 1).pow(2);
  }
  torch::Tensor dense_loss_of_part(const DenseCodes& d, double batch_l0) const override {
    return on_l0_alone(*this, d, batch_l0);
  }
  std::optional<double> target_l0() const override { return target_; }

 private:
  double coefficient_, target_;
};

// λ·Σ_j tanh(c·f_j·‖W_dec,j‖) and λ_p·Σ_j ReLU(θ_j − z_j)·‖W_dec,j‖, which
// pulls inactive features' pre-activations up to their thresholds
// (Anthropic, circuits update of January 2025). Decoder rows are unit norm.
class TanhPenalty final : public SparsityPenalty {
 public:
  TanhPenalty(double coefficient, double scale, double pre_activation)
      : coefficient_(coefficient), scale_(scale), pre_activation_(pre_activation) {}

  double code_slope(float f) const override {
    const double t = std::tanh(scale_ * f);
    return coefficient_ * scale_ * (1 - t * t);
  }
  double add_to_codes(SparseCodes& active) const override {
    const double rows = static_cast<double>(active.rows());
    double total = 0;
    for (std::size_t i = 0; i < active.size(); ++i) {
      total += std::tanh(scale_ * active.value[i]);
      active.grad[i] += static_cast<float>(code_slope(active.value[i]) / rows);
    }
    return coefficient_ * total / rows;
  }
  double pre_activation_coefficient() const override { return pre_activation_; }
  torch::Tensor dense_loss(const DenseCodes& d) const override {
    const torch::Tensor codes = coefficient_ * torch::tanh(scale_ * d.codes * d.decoder_norms).sum(1).mean();
    return codes + pre_activation_ * (torch::relu(d.threshold - d.pre) * d.decoder_norms).sum(1).mean();
  }

 private:
  double coefficient_, scale_, pre_activation_;
};

std::unique_ptr<SparsityPenalty> penalty_from_options(const dictlab::Options& o) {
  using Make = std::unique_ptr<SparsityPenalty> (*)(const dictlab::Options&);
  static const std::map<std::string, Make, std::less<>> known = {
      {"l0", [](const dictlab::Options& o) -> std::unique_ptr<SparsityPenalty> {
         return std::make_unique<L0Penalty>(o.get_float("sparsity_coefficient"));
       }},
      {"tanh", [](const dictlab::Options& o) -> std::unique_ptr<SparsityPenalty> {
         return std::make_unique<TanhPenalty>(o.get_float("sparsity_coefficient"), o.get_float("tanh_scale"),
                                              o.get_float("pre_activation_coefficient"));
       }},
      {"target_l0", [](const dictlab::Options& o) -> std::unique_ptr<SparsityPenalty> {
         if (o.get_float("target_l0") > static_cast<double>(o.get_int("d_sae")))
           throw dictlab::OptionError("target_l0", "must not exceed d_sae");
         return std::make_unique<TargetL0Penalty>(o.get_float("sparsity_coefficient"), o.get_float("target_l0"));
       }},
  };
  const auto it = known.find(o.get_string("sparsity"));
  if (it == known.end()) throw dictlab::OptionError("sparsity", "must be one of l0, tanh, target_l0");
  return it->second(o);
}

// ---- The sparse step's pieces ----

// The entries above their feature's threshold: the codes.
RowSelector above_threshold(const float* threshold) {
  return [threshold](const float* row, std::int64_t width, std::vector<Pick>& picks, TopKScratch&) {
    for (std::int64_t j = 0; j < width; ++j)
      if (row[j] > threshold[j]) picks.emplace_back(row[j], static_cast<std::int32_t>(j));
  };
}

// The entries inside the rectangle kernel's window, active or not.
RowSelector near_threshold(const float* threshold, float half_width) {
  return [threshold, half_width](const float* row, std::int64_t width, std::vector<Pick>& picks, TopKScratch&) {
    for (std::int64_t j = 0; j < width; ++j)
      if (std::abs(row[j] - threshold[j]) < half_width) picks.emplace_back(row[j], static_cast<std::int32_t>(j));
  };
}

// θ's gradient from the near entries: −(θ/ε)·∂L/∂f through the JumpReLU,
// where an inactive entry's ∂L/∂f is its error·W_dec row (it decodes
// nothing, so no gradient reaches z), and −(1/ε)·∂L/∂H through the step
// count. `count_slope` is ∂L/∂L0.
torch::Tensor threshold_gradient(const Sae& sae, const Reconstruction& r, SparseCodes& near,
                                 const SparsityPenalty& penalty, double count_slope, double bandwidth) {
  const std::int64_t rows = near.rows(), d = sae.W_dec.size(1);
  const torch::Tensor w_dec = sae.W_dec.contiguous();
  const float* wd = w_dec.data_ptr<float>();
  const float* error = r.error.data_ptr<float>();
  const torch::Tensor threshold = threshold_of(sae).contiguous();
  const float* theta = threshold.data_ptr<float>();
  at::parallel_for(0, rows, 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t row = begin; row < end; ++row)
      for (std::int64_t i = near.row_start[row]; i < near.row_start[row + 1]; ++i) {
        const std::int32_t j = near.feature[i];
        const float f = near.value[i] > theta[j] ? near.value[i] : 0.0f;
        near.grad[i] = r.scale * dot(error + row * d, wd + static_cast<std::int64_t>(j) * d, d) +
                       static_cast<float>(penalty.code_slope(f) / static_cast<double>(rows));
      }
  });
  std::vector<double> grad(static_cast<std::size_t>(sae.config.d_sae), 0.0);
  const double per_entry = -count_slope / (static_cast<double>(rows) * bandwidth);
  for (std::size_t i = 0; i < near.size(); ++i) {
    const std::int32_t j = near.feature[i];
    grad[static_cast<std::size_t>(j)] += -(theta[j] / bandwidth) * near.grad[i] + per_entry;
  }
  return torch::tensor(grad, torch::kDouble).to(torch::kFloat);
}

// λ_p·mean over rows of Σ_j ReLU(θ_j − z_rj) without visiting the inactive
// entries: their pre-activations sum to Σ_r z_rj − Σ_active z_rj, where
// Σ_r z_rj = (Σ_r x̄_r)·W_enc,j + rows·b_enc,j. The encoder's gradient,
// −λ_p/rows for every inactive entry, is likewise the column total minus
// the active rows: shift() adds +λ_p/rows to each active code's encoder
// gradient, and finish() subtracts λ_p/rows from every entry, O(d·d_sae).
class PreActivationLoss {
 public:
  explicit PreActivationLoss(double coefficient) : coefficient_(coefficient) {}

  // The loss; adds θ's gradient, λ_p·(inactive rows)/rows, to `threshold_grad`.
  double add(const Sae& sae, const Reconstruction& r, const SparseCodes& active, torch::Tensor& threshold_grad) {
    const std::int64_t rows = active.rows(), d_sae = sae.config.d_sae;
    column_sum_ = r.centered.sum(0);
    const torch::Tensor totals = (torch::mv(sae.W_enc.t(), column_sum_) + static_cast<double>(rows) * sae.b_enc)
                                     .to(torch::kDouble).contiguous();
    std::vector<double> inactive(static_cast<std::size_t>(d_sae), static_cast<double>(rows));
    std::vector<double> inactive_sum(totals.data_ptr<double>(), totals.data_ptr<double>() + d_sae);
    for (std::size_t i = 0; i < active.size(); ++i) {
      inactive[static_cast<std::size_t>(active.feature[i])] -= 1;
      inactive_sum[static_cast<std::size_t>(active.feature[i])] -= active.value[i];
    }
    const torch::Tensor theta = threshold_of(sae).to(torch::kDouble).contiguous();
    const double* t = theta.data_ptr<double>();
    double total = 0;
    for (std::int64_t j = 0; j < d_sae; ++j) total += inactive[j] * t[j] - inactive_sum[j];
    threshold_grad += (coefficient_ / static_cast<double>(rows)) * torch::tensor(inactive, torch::kDouble).to(torch::kFloat);
    return coefficient_ * total / static_cast<double>(rows);
  }
  void shift(SparseCodes& active) const {
    const float shift = static_cast<float>(coefficient_ / static_cast<double>(active.rows()));
    for (float& g : active.grad) g += shift;
  }
  // After backpropagate; `b_enc_grad` is the one it returned.
  void finish(Sae& sae, std::int64_t rows, torch::Tensor& b_enc_grad) const {
    const double per_entry = coefficient_ / static_cast<double>(rows);
    sae.W_enc.mutable_grad().sub_(column_sum_.unsqueeze(1) * per_entry);
    b_enc_grad.sub_(coefficient_);
  }

 private:
  double coefficient_;
  torch::Tensor column_sum_;  // Σ_r x̄_r
};

// ---- The architecture ----

class JumpReLU final : public Architecture {
 public:
  JumpReLU(std::unique_ptr<SparsityPenalty> penalty, double bandwidth, double initial_threshold,
           bool threshold_from_sample, double threshold_learning_rate_factor)
      : penalty_(std::move(penalty)),
        bandwidth_(bandwidth),
        initial_threshold_(initial_threshold),
        threshold_from_sample_(threshold_from_sample),
        threshold_learning_rate_factor_(threshold_learning_rate_factor) {}

  void describe(nlohmann::json& cfg) const override { describe_jump_relu(cfg); }
  void add_tensors(Sae& sae) const override {
    add_threshold(sae, /*trained=*/true);
    torch::NoGradGuard no_grad;
    threshold_of(sae).fill_(initial_threshold_);
  }
  // Under Adam θ moves about one learning rate a step, so from a small start
  // it takes thousands of steps to reach pre-activations of order one: a
  // short run would end far above its target. Starting every θ where the
  // sample's L0 is the target (as BatchTopK's threshold would be) leaves the
  // training to shape the thresholds, not to find their scale.
  void start_from_sample(Sae& sae, const torch::Tensor& pre) const override {
    const std::optional<double> target = penalty_->target_l0();
    if (!threshold_from_sample_ || !target) return;
    const std::int64_t kept = std::clamp<std::int64_t>(std::llround(*target * static_cast<double>(pre.size(0))), 1, pre.numel());
    const double theta = std::get<0>(pre.flatten().topk(kept)).min().item<double>();
    threshold_of(sae).fill_(std::max(theta, kMinimumThreshold));
  }
  // Adam moves θ about one learning rate a step whatever its gradient, and
  // the pre-activations it must follow move faster than that early on.
  double learning_rate_factor(const std::string& name) const override {
    return name == "threshold" ? threshold_learning_rate_factor_ : 1.0;
  }
  torch::Tensor activate(const Sae& sae, const torch::Tensor& pre) const override {
    return jump_relu(pre, threshold_of(sae));
  }

  StepLoss sparse_step(Sae& sae, const torch::Tensor& x, const torch::Tensor&, SparseStepWorkspace& ws) override {
    torch::NoGradGuard no_grad;
    torch::Tensor centered = centered_input(sae, x);
    const float* theta = threshold_of(sae).data_ptr<float>();
    std::vector<SparseCodes> codes = encode_and_select(
        sae, centered, {above_threshold(theta), near_threshold(theta, static_cast<float>(bandwidth_ / 2))}, ws);
    SparseCodes& active = codes[0];
    const Reconstruction r = reconstruct(sae, std::move(centered), active);
    StepLoss result = step_loss(sae, r, active);
    result.loss += penalty_->add_to_codes(active);
    // The L0 penalties act on the whole batch's L0 (every rank's rows).
    const double rows = static_cast<double>(active.rows());
    const ValueAndSlope on_l0 = penalty_->on_l0(ws.batch_sum(result.l0 * rows) / ws.batch_sum(rows));
    result.loss += on_l0.value;
    torch::Tensor threshold_grad = threshold_gradient(sae, r, codes[1], *penalty_, on_l0.slope, bandwidth_);
    PreActivationLoss pre_activation(penalty_->pre_activation_coefficient());
    const bool pulls_up = penalty_->pre_activation_coefficient() != 0;
    if (pulls_up) {
      result.loss += pre_activation.add(sae, r, active, threshold_grad);
      pre_activation.shift(active);
    }
    torch::Tensor b_enc_grad = backpropagate(sae, {r.term(active)}, r.centered, ws);
    if (pulls_up) pre_activation.finish(sae, active.rows(), b_enc_grad);
    set_decoder_bias_gradient(sae, r.error.sum(0) * r.scale, b_enc_grad);
    threshold_of(sae).mutable_grad() = threshold_grad;
    return result;
  }

  StepLoss dense_step(Sae& sae, const torch::Tensor& x, const torch::Tensor&, const SparseStepWorkspace& ws) override {
    const torch::Tensor& threshold = threshold_of(sae);
    const torch::Tensor pre = sae.pre_activations(x);
    const torch::Tensor codes = JumpReLUFunction::apply(pre, threshold, bandwidth_);
    const torch::Tensor l0 = StepFunction::apply(pre, threshold, bandwidth_).sum(1).mean();
    const StepCodes step_codes(codes);
    const torch::Tensor mse = dense_mse(sae, x, step_codes);
    const DenseCodes dense{pre, codes, threshold, l0, sae.W_dec.norm(2, 1)};
    const double rows = static_cast<double>(x.size(0));
    const torch::Tensor penalty =
        ws.ranks ? penalty_->dense_loss_of_part(dense, ws.batch_sum(l0.item<double>() * rows) / ws.batch_sum(rows))
                 : penalty_->dense_loss(dense);
    return dense_result(mse + penalty, mse, step_codes);
  }

  void after_step(Sae& sae, std::int64_t) override {
    torch::NoGradGuard no_grad;
    threshold_of(sae).clamp_min_(kMinimumThreshold);
  }

  // About half the pre-activations clear a small starting threshold.
  double initial_l0(const Sae& sae) const override { return static_cast<double>(sae.config.d_sae) / 2; }

 private:
  std::unique_ptr<SparsityPenalty> penalty_;
  double bandwidth_;
  double initial_threshold_;
  bool threshold_from_sample_;
  double threshold_learning_rate_factor_;
};

}  // namespace

std::shared_ptr<Architecture> jumprelu_from_options(const dictlab::Options& options) {
  return std::make_shared<JumpReLU>(penalty_from_options(options), options.get_float("bandwidth"),
                                    options.get_float("initial_threshold"), options.get_bool("threshold_from_sample"),
                                    options.get_float("threshold_learning_rate_factor"));
}

}  // namespace sparse_autoencoder

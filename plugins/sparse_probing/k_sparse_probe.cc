#include "k_sparse_probe.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace sparse_probing {
namespace {

torch::Tensor columns(const torch::Tensor& x, const std::vector<std::int64_t>& units) {
  const auto index = torch::tensor(units, torch::kLong);
  return x.index_select(1, index).to(torch::kDouble);
}

// Mean log-loss of logits z against labels y, plus the penalty on w.
double objective(const torch::Tensor& z, const torch::Tensor& y, const torch::Tensor& w, double penalty) {
  // log(1 + e^z) - y·z, written to stay finite for large |z|.
  const torch::Tensor loss = torch::nn::functional::softplus(z) - y * z;
  return loss.mean().item<double>() + 0.5 * penalty * w.dot(w).item<double>();
}

}  // namespace

std::vector<std::int64_t> top_mean_difference_units(const LabelledRows& train, std::int64_t k) {
  const torch::Tensor positive = train.y > 0.5;
  if (positive.all().item<bool>() || (~positive).all().item<bool>())
    throw std::invalid_argument("top_mean_difference_units: the training rows need both labels");
  const torch::Tensor x = train.x.to(torch::kDouble);
  const torch::Tensor difference = (x.index({positive}).mean(0) - x.index({~positive}).mean(0)).abs();
  const std::int64_t kept = std::min<std::int64_t>(k, x.size(1));
  // A stable sort: units tied on the difference (dead ones, all 0) keep their order.
  const torch::Tensor order = std::get<1>(difference.sort(/*stable=*/true, 0, /*descending=*/true));
  const torch::Tensor top = order.slice(0, 0, kept).contiguous();
  return {top.data_ptr<std::int64_t>(), top.data_ptr<std::int64_t>() + kept};
}

torch::Tensor LogisticModel::probability(const torch::Tensor& x) const {
  const torch::Tensor standardized = (x.to(torch::kDouble) - mean) / scale;
  return torch::sigmoid(standardized.matmul(weights) + bias);
}

LogisticModel fit_logistic(const LabelledRows& train, double penalty, int max_steps) {
  const torch::Tensor x = train.x.to(torch::kDouble), y = train.y.to(torch::kDouble);
  const std::int64_t n = x.size(0), k = x.size(1);
  if (penalty < 0) penalty = 1.0 / static_cast<double>(n);
  LogisticModel model;
  model.mean = x.mean(0);
  // Constant columns get scale 1: they carry nothing, and must not divide by 0.
  const torch::Tensor spread = (x - model.mean).square().mean(0).sqrt();
  model.scale = torch::where(spread > 1e-12, spread, torch::ones_like(spread));
  // Column 0 is the bias; theta = [bias, weights].
  const torch::Tensor design = torch::cat({torch::ones({n, 1}, torch::kDouble), (x - model.mean) / model.scale}, 1);
  torch::Tensor ridge = torch::full({k + 1}, penalty, torch::kDouble);
  ridge[0] = 0.0;
  torch::Tensor theta = torch::zeros({k + 1}, torch::kDouble);
  auto loss_at = [&](const torch::Tensor& t) { return objective(design.matmul(t), y, t.slice(0, 1), penalty); };
  double loss = loss_at(theta);
  for (int step = 0; step < max_steps; ++step) {
    const torch::Tensor p = torch::sigmoid(design.matmul(theta));
    const torch::Tensor gradient = design.t().matmul(p - y) / static_cast<double>(n) + ridge * theta;
    const torch::Tensor curvature = (design.t() * (p * (1 - p))).matmul(design) / static_cast<double>(n) +
                                    torch::diag(ridge) + 1e-12 * torch::eye(k + 1, torch::kDouble);
    const torch::Tensor newton = torch::linalg_solve(curvature, gradient.unsqueeze(1)).squeeze(1);
    // Backtracking: far from the minimum (separable data) a full step can overshoot.
    double length = 1.0, next_loss = loss;
    torch::Tensor next = theta;
    for (int halvings = 0; halvings < 30; ++halvings, length *= 0.5) {
      next = theta - length * newton;
      next_loss = loss_at(next);
      if (next_loss <= loss) break;
    }
    if (next_loss > loss) break;  // no step downhill: at the minimum to rounding
    const double moved = (next - theta).abs().max().item<double>();
    theta = next;
    const double improvement = loss - next_loss;
    loss = next_loss;
    if (moved < 1e-10 || improvement < 1e-14) break;
  }
  model.bias = theta[0].item<double>();
  model.weights = theta.slice(0, 1).clone();
  return model;
}

double accuracy(const LogisticModel& model, const LabelledRows& rows) {
  const torch::Tensor predicted = (model.probability(rows.x) > 0.5).to(torch::kDouble);
  return (predicted == rows.y.to(torch::kDouble)).to(torch::kDouble).mean().item<double>();
}

ProbeResult k_sparse_probe(const LabelledRows& train, const LabelledRows& test, std::int64_t k) {
  ProbeResult result;
  result.units = top_mean_difference_units(train, k);
  const LabelledRows chosen_train{columns(train.x, result.units), train.y};
  const LabelledRows chosen_test{columns(test.x, result.units), test.y};
  const LogisticModel model = fit_logistic(chosen_train);
  result.train_accuracy = accuracy(model, chosen_train);
  result.test_accuracy = accuracy(model, chosen_test);
  return result;
}

}  // namespace sparse_probing

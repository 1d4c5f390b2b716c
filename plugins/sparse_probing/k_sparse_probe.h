#pragma once

// SAEBench's k-sparse probe: of all units (dictionary features or model
// neurons), keep the k whose class means differ most on the training rows,
// fit a logistic regression on those k alone, and measure it on held-out rows.

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace sparse_probing {

// Rows of unit activations [n, units] with 0/1 labels [n].
struct LabelledRows {
  torch::Tensor x;  // float
  torch::Tensor y;  // float, 0 or 1
};

// The k units with the largest |mean over label 1 - mean over label 0|, largest first.
std::vector<std::int64_t> top_mean_difference_units(const LabelledRows& train, std::int64_t k);

// A logistic regression p(y=1|x) = sigmoid(x·weights + bias) on standardized
// inputs ((x - mean) / scale, with the training rows' mean and scale).
struct LogisticModel {
  torch::Tensor mean, scale, weights;  // [k] each, double
  double bias = 0.0;
  torch::Tensor probability(const torch::Tensor& x) const;  // [n]
};

// Minimises the mean log-loss plus penalty/2·|weights|² (bias not penalised)
// by Newton's method with backtracking; the penalty keeps the minimum finite
// on separable data. penalty < 0: 1/n, sklearn's default (C = 1).
LogisticModel fit_logistic(const LabelledRows& train, double penalty = -1.0, int max_steps = 100);

// Share of rows whose predicted class (p > 0.5) is their label.
double accuracy(const LogisticModel& model, const LabelledRows& rows);

struct ProbeResult {
  std::vector<std::int64_t> units;
  double train_accuracy = 0.0, test_accuracy = 0.0;
};

// The k-sparse probe chosen and fitted on `train`, measured on `test`.
ProbeResult k_sparse_probe(const LabelledRows& train, const LabelledRows& test, std::int64_t k);

}  // namespace sparse_probing

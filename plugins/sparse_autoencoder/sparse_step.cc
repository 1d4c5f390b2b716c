#include "sparse_step.h"

#include <ATen/Parallel.h>

#include <numeric>

namespace sparse_autoencoder {
namespace {

// The nonzero codes of one reconstruction, row by row (CSR over the batch),
// with the gradient of the loss with respect to each.
struct SparseCodes {
  std::vector<std::int64_t> row_start;  // batch + 1
  std::vector<std::int32_t> feature;
  std::vector<float> value;
  std::vector<float> grad;
};

float dot(const float* a, const float* b, std::int64_t n) {
  float s = 0;
  for (std::int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

void axpy(float alpha, const float* x, float* y, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

// Codes from pre-activations: all positive entries (ReLU), or the positive
// part of the k largest among `allowed` features (TopK / AuxK).
SparseCodes select_codes(const torch::Tensor& pre, std::int64_t k, const torch::Tensor& allowed) {
  const std::int64_t rows = pre.size(0), width = pre.size(1);
  SparseCodes codes;
  codes.row_start.assign(static_cast<std::size_t>(rows + 1), 0);
  if (k <= 0) {
    const float* p = pre.data_ptr<float>();
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t j = 0; j < width; ++j) {
        const float v = p[r * width + j];
        if (v > 0) {
          codes.feature.push_back(static_cast<std::int32_t>(j));
          codes.value.push_back(v);
        }
      }
      codes.row_start[static_cast<std::size_t>(r + 1)] = static_cast<std::int64_t>(codes.feature.size());
    }
  } else {
    torch::Tensor candidates = pre;
    if (allowed.defined()) candidates = pre.masked_fill(allowed.logical_not().unsqueeze(0), -std::numeric_limits<float>::infinity());
    auto [values, indices] = candidates.topk(k, 1);
    values = values.contiguous();
    const torch::Tensor indices32 = indices.to(torch::kInt).contiguous();
    const float* v = values.data_ptr<float>();
    const std::int32_t* ix = indices32.data_ptr<std::int32_t>();
    for (std::int64_t r = 0; r < rows; ++r) {
      for (std::int64_t i = 0; i < k; ++i) {
        if (v[r * k + i] > 0) {  // ReLU after TopK: non-positive picks stay zero
          codes.feature.push_back(ix[r * k + i]);
          codes.value.push_back(v[r * k + i]);
        }
      }
      codes.row_start[static_cast<std::size_t>(r + 1)] = static_cast<std::int64_t>(codes.feature.size());
    }
  }
  codes.grad.assign(codes.value.size(), 0.0f);
  return codes;
}

// out[r] (+)= Σ codes · W_dec rows.
void decode_into(const SparseCodes& codes, const float* w_dec, std::int64_t d, float* out, std::int64_t rows) {
  at::parallel_for(0, rows, 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r)
      for (std::int64_t i = codes.row_start[r]; i < codes.row_start[r + 1]; ++i)
        axpy(codes.value[i], w_dec + static_cast<std::int64_t>(codes.feature[i]) * d, out + r * d, d);
  });
}

// codes.grad = row gradient · W_dec row (+ a constant, the L1 term's).
void code_gradients(SparseCodes& codes, const float* row_grad, const float* w_dec, std::int64_t d, std::int64_t rows,
                    float constant) {
  at::parallel_for(0, rows, 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r)
      for (std::int64_t i = codes.row_start[r]; i < codes.row_start[r + 1]; ++i)
        codes.grad[i] = dot(row_grad + r * d, w_dec + static_cast<std::int64_t>(codes.feature[i]) * d, d) + constant;
  });
}

// Per feature, its (row, term) entries: lets the decoder and encoder
// gradients be summed feature by feature in parallel without races.
struct FeatureEntries {
  std::vector<std::int64_t> start;  // d_sae + 1
  std::vector<std::int64_t> row;
  std::vector<float> value, grad;
  std::vector<const float*> row_grad;  // the term's row gradient for the decoder
};

FeatureEntries by_feature(const std::vector<std::pair<const SparseCodes*, const float*>>& terms, std::int64_t d_sae,
                          std::int64_t d) {
  FeatureEntries e;
  e.start.assign(static_cast<std::size_t>(d_sae + 1), 0);
  for (const auto& [codes, _] : terms)
    for (std::int32_t j : codes->feature) ++e.start[static_cast<std::size_t>(j + 1)];
  std::partial_sum(e.start.begin(), e.start.end(), e.start.begin());
  const std::size_t total = static_cast<std::size_t>(e.start.back());
  e.row.resize(total);
  e.value.resize(total);
  e.grad.resize(total);
  e.row_grad.resize(total);
  std::vector<std::int64_t> next(e.start.begin(), e.start.end() - 1);
  for (const auto& [codes, row_grad] : terms) {
    const std::int64_t rows = static_cast<std::int64_t>(codes->row_start.size()) - 1;
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t i = codes->row_start[r]; i < codes->row_start[r + 1]; ++i) {
        const std::size_t at = static_cast<std::size_t>(next[static_cast<std::size_t>(codes->feature[i])]++);
        e.row[at] = r;
        e.value[at] = codes->value[i];
        e.grad[at] = codes->grad[i];
        e.row_grad[at] = row_grad + r * d;
      }
  }
  return e;
}

}  // namespace

StepLoss sparse_loss_and_gradients(Sae& sae, const torch::Tensor& x_in, double l1_coefficient,
                                   const torch::Tensor& dead, std::int64_t aux_k, double aux_coefficient) {
  torch::NoGradGuard no_grad;
  const std::int64_t rows = x_in.size(0), d = sae.config.d_in, d_sae = sae.config.d_sae;
  const bool topk = sae.config.architecture == "topk";
  const torch::Tensor x = x_in.contiguous();
  const torch::Tensor centered = (x - sae.b_dec).contiguous();
  const torch::Tensor pre = torch::addmm(sae.b_enc, centered, sae.W_enc).contiguous();  // the one dense GEMM
  const torch::Tensor w_dec = sae.W_dec.contiguous();
  const float* wd = w_dec.data_ptr<float>();

  SparseCodes main = select_codes(pre, topk ? sae.config.k : 0, {});
  torch::Tensor reconstruction = sae.b_dec.expand({rows, d}).clone();
  decode_into(main, wd, d, reconstruction.data_ptr<float>(), rows);
  const torch::Tensor error = reconstruction - x;
  const double element_count = static_cast<double>(rows * d);
  StepLoss result;
  result.mse = error.pow(2).sum().item<double>() / element_count;
  result.loss = result.mse;
  result.l0 = static_cast<double>(main.feature.size()) / static_cast<double>(rows);
  const torch::Tensor row_grad = (error * static_cast<float>(2.0 / element_count)).contiguous();
  const float l1_grad = topk ? 0.0f : static_cast<float>(l1_coefficient / static_cast<double>(rows));
  if (!topk) result.loss += l1_coefficient * std::accumulate(main.value.begin(), main.value.end(), 0.0) / static_cast<double>(rows);
  code_gradients(main, row_grad.data_ptr<float>(), wd, d, rows, l1_grad);

  std::vector<std::pair<const SparseCodes*, const float*>> terms = {{&main, row_grad.data_ptr<float>()}};
  SparseCodes aux;
  torch::Tensor aux_row_grad;
  const std::int64_t dead_count = topk && dead.defined() ? dead.sum().item<std::int64_t>() : 0;
  if (dead_count > 0) {
    const torch::Tensor residual = x - reconstruction;  // a fixed target: no gradient through it
    const double denominator = std::max(1e-8, residual.pow(2).sum(1).mean().item<double>());
    aux = select_codes(pre, std::min(aux_k, dead_count), dead);
    torch::Tensor aux_reconstruction = torch::zeros({rows, d});
    decode_into(aux, wd, d, aux_reconstruction.data_ptr<float>(), rows);
    const torch::Tensor aux_error = aux_reconstruction - residual;
    result.loss += aux_coefficient * aux_error.pow(2).sum(1).mean().item<double>() / denominator;
    aux_row_grad = (aux_error * static_cast<float>(2.0 * aux_coefficient / (static_cast<double>(rows) * denominator))).contiguous();
    code_gradients(aux, aux_row_grad.data_ptr<float>(), wd, d, rows, 0.0f);
    terms.push_back({&aux, aux_row_grad.data_ptr<float>()});
  }

  // Decoder rows, encoder columns (built as rows of W_enc^T) and the encoder
  // bias, one feature per task: each feature owns its slice, so no locks.
  const FeatureEntries entries = by_feature(terms, d_sae, d);
  torch::Tensor w_dec_grad = torch::zeros({d_sae, d});
  torch::Tensor w_enc_grad_t = torch::zeros({d_sae, d});
  torch::Tensor b_enc_grad = torch::zeros({d_sae});
  float* gd = w_dec_grad.data_ptr<float>();
  float* ge = w_enc_grad_t.data_ptr<float>();
  float* gb = b_enc_grad.data_ptr<float>();
  const float* xc = centered.data_ptr<float>();
  at::parallel_for(0, d_sae, 64, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t j = begin; j < end; ++j)
      for (std::int64_t at = entries.start[j]; at < entries.start[j + 1]; ++at) {
        axpy(entries.value[at], entries.row_grad[at], gd + j * d, d);
        axpy(entries.grad[at], xc + entries.row[at] * d, ge + j * d, d);
        gb[j] += entries.grad[at];
      }
  });

  sae.W_dec.mutable_grad() = w_dec_grad;
  sae.W_enc.mutable_grad() = w_enc_grad_t.t().contiguous();
  sae.b_enc.mutable_grad() = b_enc_grad;
  // b_dec is added after decoding (its gradient: the summed row gradient of
  // the main term) and subtracted before encoding (minus W_enc times the
  // summed code gradients).
  sae.b_dec.mutable_grad() = row_grad.sum(0) - torch::mv(sae.W_enc, b_enc_grad);

  result.features_fired = torch::zeros({d_sae}, torch::kBool);
  bool* fired = result.features_fired.data_ptr<bool>();
  for (std::int32_t j : main.feature) fired[j] = true;
  return result;
}

}  // namespace sparse_autoencoder

#include "sparse_step.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <numeric>

#include "row_top_k.h"
#include "single_threaded_blas.h"
#include "vector_kernels.h"

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

// Codes from a block of pre-activations: all positive entries (ReLU), or
// the positive part of the k largest (TopK), among the `allowed` features
// when given (AuxK: the dead ones). Rows are scanned in parallel: first what
// each keeps, then packed into CSR.
SparseCodes select_codes(const torch::Tensor& pre, std::int64_t k, const std::vector<std::int32_t>* allowed) {
  const std::int64_t rows = pre.size(0), width = pre.size(1);
  const float* p = pre.data_ptr<float>();
  SparseCodes codes;
  codes.row_start.assign(static_cast<std::size_t>(rows + 1), 0);
  // TopK rows keep their picks here (k slots a row) between the two passes.
  std::vector<Pick> picks(static_cast<std::size_t>(k > 0 ? rows * k : 0));
  at::parallel_for(0, rows, 64, [&](std::int64_t begin, std::int64_t end) {
    TopKScratch scratch;
    std::vector<float> gathered(allowed ? allowed->size() : 0);
    for (std::int64_t r = begin; r < end; ++r) {
      const float* row = p + r * width;
      std::int64_t kept = 0;
      if (k <= 0) {
        kept = count_positive(row, width);
      } else {
        if (allowed)
          for (std::size_t i = 0; i < gathered.size(); ++i) gathered[i] = row[(*allowed)[i]];
        Pick* top = picks.data() + r * k;
        const std::int64_t size = allowed ? row_top_k(gathered.data(), static_cast<std::int64_t>(gathered.size()), k, top, scratch)
                                          : row_top_k(row, width, k, top, scratch);
        // ReLU after TopK: non-positive picks stay zero, so drop them.
        for (std::int64_t i = 0; i < size; ++i)
          if (top[i].first > 0) top[kept++] = {top[i].first, allowed ? (*allowed)[top[i].second] : top[i].second};
      }
      codes.row_start[static_cast<std::size_t>(r + 1)] = kept;
    }
  });
  std::partial_sum(codes.row_start.begin(), codes.row_start.end(), codes.row_start.begin());
  const std::size_t total = static_cast<std::size_t>(codes.row_start.back());
  codes.feature.resize(total);
  codes.value.resize(total);
  codes.grad.assign(total, 0.0f);
  at::parallel_for(0, rows, 64, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      std::int64_t at = codes.row_start[static_cast<std::size_t>(r)];
      if (k <= 0) {
        const float* row = p + r * width;
        for (std::int64_t j = 0; j < width; ++j)
          if (row[j] > 0) {
            codes.feature[static_cast<std::size_t>(at)] = static_cast<std::int32_t>(j);
            codes.value[static_cast<std::size_t>(at++)] = row[j];
          }
      } else {
        const auto* kept = picks.data() + r * k;
        for (; at < codes.row_start[static_cast<std::size_t>(r + 1)]; ++at, ++kept) {
          codes.feature[static_cast<std::size_t>(at)] = kept->second;
          codes.value[static_cast<std::size_t>(at)] = kept->first;
        }
      }
    }
  });
  return codes;
}

// Per row, in one pass while the row's decoder rows are in cache:
// error[r] = start[r] + Σ codes · W_dec rows, then each code's gradient
// scale · (error[r] · its W_dec row) + constant (the L1 term's). `scale` is
// d loss / d error for this term. Returns Σ error².
double decode_errors(SparseCodes& codes, const float* w_dec, const float* start, float* error, std::int64_t d,
                     std::int64_t rows, float scale, float constant) {
  std::vector<double> squared(static_cast<std::size_t>(rows));
  at::parallel_for(0, rows, 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      float* e = error + r * d;
      if (start != e) std::copy(start + r * d, start + (r + 1) * d, e);
      const std::int64_t first = codes.row_start[r], last = codes.row_start[r + 1];
      for (std::int64_t i = first; i < last; ++i)
        axpy(codes.value[i], w_dec + static_cast<std::int64_t>(codes.feature[i]) * d, e, d);
      for (std::int64_t i = first; i < last; ++i)
        codes.grad[i] = scale * dot(e, w_dec + static_cast<std::int64_t>(codes.feature[i]) * d, d) + constant;
      squared[static_cast<std::size_t>(r)] = dot(e, e, d);
    }
  });
  return std::accumulate(squared.begin(), squared.end(), 0.0);
}

// `tensor` as a contiguous float tensor of `shape`, reusing its memory when
// it already has that shape (the contents are then left as they were).
torch::Tensor& sized(torch::Tensor& tensor, at::IntArrayRef shape) {
  if (!tensor.defined() || tensor.sizes() != shape || !tensor.is_contiguous()) tensor = torch::empty(shape);
  return tensor;
}

// Asks for a row's cache lines before the loop that reads it needs them: the
// rows a feature's entries read are scattered over the batch.
void prefetch_row(const float* row, std::int64_t n) {
  for (std::int64_t i = 0; i < n; i += 16) __builtin_prefetch(row + i);
}

// One loss term's codes, the rows of its error, and d loss / d error.
struct Term {
  const SparseCodes* codes;
  const float* error;
  float scale;
};

// Per feature, its (row, term) entries: lets the decoder and encoder
// gradients be summed feature by feature in parallel without races.
struct FeatureEntries {
  std::vector<std::int64_t> start;  // d_sae + 1
  std::vector<std::int64_t> row;
  std::vector<float> decoder_weight;  // the code · its term's scale
  std::vector<float> grad;            // d loss / d code
  std::vector<const float*> error;    // the term's error row
};

FeatureEntries by_feature(const std::vector<Term>& terms, std::int64_t d_sae, std::int64_t d) {
  FeatureEntries e;
  e.start.assign(static_cast<std::size_t>(d_sae + 1), 0);
  for (const Term& term : terms)
    for (std::int32_t j : term.codes->feature) ++e.start[static_cast<std::size_t>(j + 1)];
  std::partial_sum(e.start.begin(), e.start.end(), e.start.begin());
  const std::size_t total = static_cast<std::size_t>(e.start.back());
  e.row.resize(total);
  e.decoder_weight.resize(total);
  e.grad.resize(total);
  e.error.resize(total);
  std::vector<std::int64_t> next(e.start.begin(), e.start.end() - 1);
  for (const Term& term : terms) {
    const SparseCodes& codes = *term.codes;
    const std::int64_t rows = static_cast<std::int64_t>(codes.row_start.size()) - 1;
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t i = codes.row_start[r]; i < codes.row_start[r + 1]; ++i) {
        const std::size_t at = static_cast<std::size_t>(next[static_cast<std::size_t>(codes.feature[i])]++);
        e.row[at] = r;
        e.decoder_weight[at] = codes.value[i] * term.scale;
        e.grad[at] = codes.grad[i];
        e.error[at] = term.error + r * d;
      }
  }
  return e;
}

// The features whose flag is set, in order.
std::vector<std::int32_t> features_in(const torch::Tensor& flags) {
  const torch::Tensor f = flags.to(torch::kBool).contiguous();
  const bool* on = f.data_ptr<bool>();
  std::vector<std::int32_t> features;
  for (std::int64_t j = 0; j < f.numel(); ++j)
    if (on[j]) features.push_back(static_cast<std::int32_t>(j));
  return features;
}

// `block`'s rows after `codes`' rows.
void append(SparseCodes& codes, const SparseCodes& block) {
  if (codes.row_start.empty()) codes.row_start.push_back(0);
  const std::int64_t offset = codes.row_start.back();
  for (auto it = block.row_start.begin() + 1; it != block.row_start.end(); ++it) codes.row_start.push_back(*it + offset);
  codes.feature.insert(codes.feature.end(), block.feature.begin(), block.feature.end());
  codes.value.insert(codes.value.end(), block.value.begin(), block.value.end());
  codes.grad.insert(codes.grad.end(), block.grad.begin(), block.grad.end());
}

// Rows encoded at a time: a block's pre-activations take about 8 MiB, so
// they are still in the last-level cache when their codes are picked, but
// never fewer than 256 rows, below which the GEMM streams W_enc too often.
std::int64_t encoder_block_rows(const SparseStepWorkspace& workspace, std::int64_t rows, std::int64_t d_sae) {
  const std::int64_t automatic = std::max<std::int64_t>(256, (std::int64_t{8} << 20) / (4 * d_sae));
  return std::clamp<std::int64_t>(workspace.encoder_block_rows > 0 ? workspace.encoder_block_rows : automatic, 1,
                                  std::max<std::int64_t>(rows, 1));
}

}  // namespace

StepLoss sparse_loss_and_gradients(Sae& sae, const torch::Tensor& x_in, double l1_coefficient,
                                   const torch::Tensor& dead, std::int64_t aux_k, double aux_coefficient,
                                   SparseStepWorkspace* workspace) {
  torch::NoGradGuard no_grad;
  SparseStepWorkspace local;
  SparseStepWorkspace& buffers = workspace ? *workspace : local;
  const std::int64_t rows = x_in.size(0), d = sae.config.d_in, d_sae = sae.config.d_sae;
  const bool topk = sae.config.architecture == "topk";
  const torch::Tensor x = x_in.contiguous();
  const torch::Tensor centered = (x - sae.b_dec).contiguous();
  const std::vector<std::int32_t> dead_features = topk && dead.defined() ? features_in(dead) : std::vector<std::int32_t>{};
  const std::int64_t aux_count = std::min<std::int64_t>(aux_k, static_cast<std::int64_t>(dead_features.size()));

  // Encode a block of rows at a time and pick its codes while its
  // pre-activations are in cache: [block, d_sae] floats a thread instead of
  // [batch, d_sae] (2 GiB for a batch of 4096 and 131072 features).
  const std::int64_t block = encoder_block_rows(buffers, rows, d_sae);
  const std::int64_t blocks = (rows + block - 1) / block;
  std::vector<SparseCodes> main_blocks(static_cast<std::size_t>(blocks)), aux_blocks(main_blocks.size());
  const auto encode_block = [&](std::int64_t b, const torch::Tensor& pre_buffer) {
    torch::NoGradGuard no_grad_here;  // grad mode is per thread
    const std::int64_t first = b * block, n = std::min(block, rows - first);
    torch::Tensor pre = pre_buffer.narrow(0, 0, n);
    torch::addmm_out(pre, sae.b_enc, centered.narrow(0, first, n), sae.W_enc);
    main_blocks[static_cast<std::size_t>(b)] = select_codes(pre, topk ? sae.config.k : 0, nullptr);
    if (aux_count > 0) aux_blocks[static_cast<std::size_t>(b)] = select_codes(pre, aux_count, &dead_features);
  };
  const SingleThreadedBlas blas;
  if (blas.active()) {
    // One single-threaded GEMM per thread: no hand-over between OpenBLAS's
    // threads and OpenMP's after each block.
    torch::Tensor& pre = sized(buffers.pre, {at::get_num_threads() * block, d_sae});
    at::parallel_for(0, blocks, 1, [&](std::int64_t begin, std::int64_t end) {
      const torch::Tensor mine = pre.narrow(0, at::get_thread_num() * block, block);
      for (std::int64_t b = begin; b < end; ++b) encode_block(b, mine);
    });
  } else {
    const torch::Tensor& pre = sized(buffers.pre, {block, d_sae});
    for (std::int64_t b = 0; b < blocks; ++b) encode_block(b, pre);
  }
  SparseCodes main, aux;
  for (std::int64_t b = 0; b < blocks; ++b) {
    append(main, main_blocks[static_cast<std::size_t>(b)]);
    if (aux_count > 0) append(aux, aux_blocks[static_cast<std::size_t>(b)]);
  }
  const torch::Tensor w_dec = sae.W_dec.contiguous();
  const float* wd = w_dec.data_ptr<float>();
  const double element_count = static_cast<double>(rows * d);

  // The main term: x̂ − x = −centered + Σ codes · W_dec rows.
  const torch::Tensor error = centered.neg();
  const float scale = static_cast<float>(2.0 / element_count);
  const float l1_grad = topk ? 0.0f : static_cast<float>(l1_coefficient / static_cast<double>(rows));
  const double squared_error =
      decode_errors(main, wd, error.data_ptr<float>(), error.data_ptr<float>(), d, rows, scale, l1_grad);
  StepLoss result;
  result.mse = squared_error / element_count;
  result.loss = result.mse;
  result.l0 = static_cast<double>(main.feature.size()) / static_cast<double>(rows);
  if (!topk) result.loss += l1_coefficient * std::accumulate(main.value.begin(), main.value.end(), 0.0) / static_cast<double>(rows);

  std::vector<Term> terms = {{&main, error.data_ptr<float>(), scale}};
  torch::Tensor aux_error;
  if (aux_count > 0) {
    // AuxK: the dead latents reconstruct the residual x − x̂ = −error, a fixed
    // target, so their error is aux decode + error; normalised by the mean
    // squared residual norm.
    const double denominator = std::max(1e-8, squared_error / static_cast<double>(rows));
    const float aux_scale = static_cast<float>(2.0 * aux_coefficient / (static_cast<double>(rows) * denominator));
    aux_error = torch::empty({rows, d});
    const double aux_squared =
        decode_errors(aux, wd, error.data_ptr<float>(), aux_error.data_ptr<float>(), d, rows, aux_scale, 0.0f);
    result.loss += aux_coefficient * aux_squared / static_cast<double>(rows) / denominator;
    terms.push_back({&aux, aux_error.data_ptr<float>(), aux_scale});
  }

  // Decoder rows, encoder columns (built as rows of W_enc^T) and the encoder
  // bias, one feature per task: each feature owns its slice, so no locks.
  // The decoder row's gradient is projected while in cache (see
  // Sae::project_decoder_gradient); rows of silent features stay zero.
  const FeatureEntries entries = by_feature(terms, d_sae, d);
  torch::Tensor& w_dec_grad = sized(sae.W_dec.mutable_grad(), {d_sae, d}).zero_();
  torch::Tensor& w_enc_grad_t = sized(buffers.w_enc_grad_t, {d_sae, d}).zero_();
  torch::Tensor& b_enc_grad = sized(sae.b_enc.mutable_grad(), {d_sae}).zero_();
  float* gd = w_dec_grad.data_ptr<float>();
  float* ge = w_enc_grad_t.data_ptr<float>();
  float* gb = b_enc_grad.data_ptr<float>();
  const float* xc = centered.data_ptr<float>();
  at::parallel_for(0, d_sae, 64, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t j = begin; j < end; ++j) {
      if (entries.start[j] == entries.start[j + 1]) continue;
      for (std::int64_t at = entries.start[j]; at < entries.start[j + 1]; ++at) {
        if (at + 1 < entries.start[j + 1]) {
          prefetch_row(entries.error[at + 1], d);
          prefetch_row(xc + entries.row[at + 1] * d, d);
        }
        axpy(entries.decoder_weight[at], entries.error[at], gd + j * d, d);
        axpy(entries.grad[at], xc + entries.row[at] * d, ge + j * d, d);
        gb[j] += entries.grad[at];
      }
      axpy(-dot(gd + j * d, wd + j * d, d), wd + j * d, gd + j * d, d);
    }
  });

  sized(sae.W_enc.mutable_grad(), {d, d_sae}).copy_(w_enc_grad_t.t());
  // b_dec is added after decoding (its gradient: the summed row gradient of
  // the main term) and subtracted before encoding (minus W_enc times the
  // summed code gradients).
  sae.b_dec.mutable_grad() = error.sum(0) * scale - torch::mv(sae.W_enc, b_enc_grad);

  result.features_fired = torch::zeros({d_sae}, torch::kBool);
  bool* fired = result.features_fired.data_ptr<bool>();
  for (std::int32_t j : main.feature) fired[j] = true;
  return result;
}

}  // namespace sparse_autoencoder

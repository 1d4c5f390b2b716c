#include "sparse_kernels.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <numeric>

#include "single_threaded_blas.h"
#include "vector_kernels.h"

namespace sparse_autoencoder {
namespace {

constexpr std::int64_t kRowsPerTask = 64;

// Runs `selector` over every row of `pre` [rows, width]: each task keeps its
// rows' picks in its own list, then the lists are packed into CSR.
SparseCodes select_codes(const torch::Tensor& pre, const RowSelector& selector) {
  const std::int64_t rows = pre.size(0), width = pre.size(1);
  const float* p = pre.data_ptr<float>();
  const std::int64_t tasks = (rows + kRowsPerTask - 1) / kRowsPerTask;
  std::vector<std::vector<Pick>> picks(static_cast<std::size_t>(tasks));
  SparseCodes codes;
  codes.row_start.assign(static_cast<std::size_t>(rows + 1), 0);
  at::parallel_for(0, tasks, 1, [&](std::int64_t begin, std::int64_t end) {
    TopKScratch scratch;
    for (std::int64_t t = begin; t < end; ++t) {
      auto& mine = picks[static_cast<std::size_t>(t)];
      for (std::int64_t r = t * kRowsPerTask; r < std::min(rows, (t + 1) * kRowsPerTask); ++r) {
        const std::size_t before = mine.size();
        selector(p + r * width, width, mine, scratch);
        codes.row_start[static_cast<std::size_t>(r + 1)] = static_cast<std::int64_t>(mine.size() - before);
      }
    }
  });
  std::partial_sum(codes.row_start.begin(), codes.row_start.end(), codes.row_start.begin());
  const std::size_t total = static_cast<std::size_t>(codes.row_start.back());
  codes.feature.resize(total);
  codes.value.resize(total);
  codes.grad.assign(total, 0.0f);
  at::parallel_for(0, tasks, 1, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t t = begin; t < end; ++t) {
      std::int64_t at = codes.row_start[static_cast<std::size_t>(t * kRowsPerTask)];
      for (const Pick& pick : picks[static_cast<std::size_t>(t)]) {
        codes.value[static_cast<std::size_t>(at)] = pick.first;
        codes.feature[static_cast<std::size_t>(at++)] = pick.second;
      }
    }
  });
  return codes;
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

// `tensor` as a contiguous float tensor of `shape`, reusing its memory when
// it already has that shape (the contents are then left as they were).
torch::Tensor& sized(torch::Tensor& tensor, at::IntArrayRef shape) {
  if (!tensor.defined() || tensor.sizes() != shape || !tensor.is_contiguous()) tensor = torch::empty(shape);
  return tensor;
}

// Rows encoded at a time: a block's pre-activations take about 8 MiB, so
// they are still in the last-level cache when their codes are picked, but
// never fewer than 256 rows, below which the GEMM streams W_enc too often.
std::int64_t encoder_block_rows(const SparseStepWorkspace& workspace, std::int64_t rows, std::int64_t d_sae) {
  const std::int64_t automatic = std::max<std::int64_t>(256, (std::int64_t{8} << 20) / (4 * d_sae));
  return std::clamp<std::int64_t>(workspace.encoder_block_rows > 0 ? workspace.encoder_block_rows : automatic, 1,
                                  std::max<std::int64_t>(rows, 1));
}

// Asks for a row's cache lines before the loop that reads it needs them: the
// rows a feature's entries read are scattered over the batch.
void prefetch_row(const float* row, std::int64_t n) {
  for (std::int64_t i = 0; i < n; i += 16) __builtin_prefetch(row + i);
}

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
    for (std::int64_t r = 0; r < codes.rows(); ++r)
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

}  // namespace

SparseCodes SparseCodes::prefix(std::int32_t limit) const {
  SparseCodes out;
  out.row_start.assign(row_start.size(), 0);
  for (std::int64_t r = 0; r < rows(); ++r) {
    for (std::int64_t i = row_start[r]; i < row_start[r + 1]; ++i)
      if (feature[i] < limit) {
        out.feature.push_back(feature[i]);
        out.value.push_back(value[i]);
      }
    out.row_start[static_cast<std::size_t>(r + 1)] = static_cast<std::int64_t>(out.feature.size());
  }
  out.grad.assign(out.feature.size(), 0.0f);
  return out;
}

RowSelector positive_entries() {
  return [](const float* row, std::int64_t width, std::vector<Pick>& picks, TopKScratch&) {
    for (std::int64_t j = 0; j < width; ++j)
      if (row[j] > 0) picks.emplace_back(row[j], static_cast<std::int32_t>(j));
  };
}

RowSelector top_k_entries(std::int64_t k, const std::vector<std::int32_t>* allowed) {
  return [k, allowed](const float* row, std::int64_t width, std::vector<Pick>& picks, TopKScratch& scratch) {
    thread_local std::vector<float> gathered;
    thread_local std::vector<Pick> top;
    top.resize(static_cast<std::size_t>(k));
    std::int64_t size;
    if (allowed) {
      gathered.resize(allowed->size());
      for (std::size_t i = 0; i < gathered.size(); ++i) gathered[i] = row[(*allowed)[i]];
      size = row_top_k(gathered.data(), static_cast<std::int64_t>(gathered.size()), k, top.data(), scratch);
    } else {
      size = row_top_k(row, width, k, top.data(), scratch);
    }
    // ReLU after TopK: non-positive picks stay zero, so drop them.
    for (std::int64_t i = 0; i < size; ++i)
      if (top[i].first > 0) picks.emplace_back(top[i].first, allowed ? (*allowed)[top[i].second] : top[i].second);
  };
}

std::vector<SparseCodes> encode_and_select(const Sae& sae, const torch::Tensor& encoder_input,
                                           const std::vector<RowSelector>& selectors, SparseStepWorkspace& workspace) {
  const std::int64_t rows = encoder_input.size(0), d_sae = sae.config.d_sae;
  const std::int64_t block = encoder_block_rows(workspace, rows, d_sae);
  const std::int64_t blocks = (rows + block - 1) / block;
  std::vector<std::vector<SparseCodes>> selected(static_cast<std::size_t>(blocks),
                                                 std::vector<SparseCodes>(selectors.size()));
  const auto encode_block = [&](std::int64_t b, const torch::Tensor& pre_buffer) {
    torch::NoGradGuard no_grad;  // grad mode is per thread
    const std::int64_t first = b * block, n = std::min(block, rows - first);
    torch::Tensor pre = pre_buffer.narrow(0, 0, n);
    torch::addmm_out(pre, sae.b_enc, encoder_input.narrow(0, first, n), sae.W_enc);
    for (std::size_t s = 0; s < selectors.size(); ++s)
      selected[static_cast<std::size_t>(b)][s] = select_codes(pre, selectors[s]);
  };
  const SingleThreadedBlas blas;
  if (blas.active()) {
    // One single-threaded GEMM per thread: no hand-over between OpenBLAS's
    // threads and OpenMP's after each block.
    torch::Tensor& pre = sized(workspace.pre, {at::get_num_threads() * block, d_sae});
    at::parallel_for(0, blocks, 1, [&](std::int64_t begin, std::int64_t end) {
      const torch::Tensor mine = pre.narrow(0, at::get_thread_num() * block, block);
      for (std::int64_t b = begin; b < end; ++b) encode_block(b, mine);
    });
  } else {
    const torch::Tensor& pre = sized(workspace.pre, {block, d_sae});
    for (std::int64_t b = 0; b < blocks; ++b) encode_block(b, pre);
  }
  std::vector<SparseCodes> codes(selectors.size());
  for (std::size_t s = 0; s < selectors.size(); ++s)
    for (std::int64_t b = 0; b < blocks; ++b) append(codes[s], selected[static_cast<std::size_t>(b)][s]);
  return codes;
}

double decode_errors(SparseCodes& codes, const torch::Tensor& w_dec, const float* start, float* error, float scale) {
  const std::int64_t rows = codes.rows(), d = w_dec.size(1);
  const float* wd = w_dec.data_ptr<float>();
  std::vector<double> squared(static_cast<std::size_t>(rows));
  at::parallel_for(0, rows, 16, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t r = begin; r < end; ++r) {
      float* e = error + r * d;
      if (start != error) std::copy(start + r * d, start + (r + 1) * d, e);
      const std::int64_t first = codes.row_start[r], last = codes.row_start[r + 1];
      for (std::int64_t i = first; i < last; ++i)
        axpy(codes.value[i], wd + static_cast<std::int64_t>(codes.feature[i]) * d, e, d);
      for (std::int64_t i = first; i < last; ++i)
        codes.grad[i] = scale * dot(e, wd + static_cast<std::int64_t>(codes.feature[i]) * d, d);
      squared[static_cast<std::size_t>(r)] = dot(e, e, d);
    }
  });
  return std::accumulate(squared.begin(), squared.end(), 0.0);
}

torch::Tensor backpropagate(Sae& sae, const std::vector<Term>& terms, const torch::Tensor& encoder_input,
                            SparseStepWorkspace& workspace) {
  // Decoder rows, encoder columns (built as rows of W_enc^T) and the encoder
  // bias, one feature per task: each feature owns its slice, so no locks.
  // The decoder row's gradient is projected while in cache; rows of silent
  // features stay zero.
  const std::int64_t d_sae = sae.config.d_sae, d = sae.W_dec.size(1), d_enc = encoder_input.size(1);
  const FeatureEntries entries = by_feature(terms, d_sae, d);
  const torch::Tensor w_dec = sae.W_dec.contiguous();
  const float* wd = w_dec.data_ptr<float>();
  torch::Tensor& w_dec_grad = sized(sae.W_dec.mutable_grad(), {d_sae, d}).zero_();
  torch::Tensor& w_enc_grad_t = sized(workspace.w_enc_grad_t, {d_sae, d_enc}).zero_();
  torch::Tensor& b_enc_grad = sized(sae.b_enc.mutable_grad(), {d_sae}).zero_();
  float* gd = w_dec_grad.data_ptr<float>();
  float* ge = w_enc_grad_t.data_ptr<float>();
  float* gb = b_enc_grad.data_ptr<float>();
  const float* input = encoder_input.data_ptr<float>();
  at::parallel_for(0, d_sae, 64, [&](std::int64_t begin, std::int64_t end) {
    for (std::int64_t j = begin; j < end; ++j) {
      if (entries.start[j] == entries.start[j + 1]) continue;
      for (std::int64_t at = entries.start[j]; at < entries.start[j + 1]; ++at) {
        if (at + 1 < entries.start[j + 1]) {
          prefetch_row(entries.error[at + 1], d);
          prefetch_row(input + entries.row[at + 1] * d_enc, d_enc);
        }
        axpy(entries.decoder_weight[at], entries.error[at], gd + j * d, d);
        axpy(entries.grad[at], input + entries.row[at] * d_enc, ge + j * d_enc, d_enc);
        gb[j] += entries.grad[at];
      }
      axpy(-dot(gd + j * d, wd + j * d, d), wd + j * d, gd + j * d, d);
    }
  });
  sized(sae.W_enc.mutable_grad(), {d_enc, d_sae}).copy_(w_enc_grad_t.t());
  return b_enc_grad;
}

torch::Tensor fired_features(const SparseCodes& codes, std::int64_t d_sae) {
  torch::Tensor fired = torch::zeros({d_sae}, torch::kBool);
  bool* on = fired.data_ptr<bool>();
  for (std::int32_t j : codes.feature) on[j] = true;
  return fired;
}

std::vector<std::int32_t> features_in(const torch::Tensor& flags) {
  const torch::Tensor f = flags.to(torch::kBool).contiguous();
  const bool* on = f.data_ptr<bool>();
  std::vector<std::int32_t> features;
  for (std::int64_t j = 0; j < f.numel(); ++j)
    if (on[j]) features.push_back(static_cast<std::int32_t>(j));
  return features;
}

}  // namespace sparse_autoencoder

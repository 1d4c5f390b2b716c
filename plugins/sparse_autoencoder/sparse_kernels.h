#pragma once

// The building blocks of a sparse training step: encode the batch block by
// block and keep only the codes an architecture selects, decode those codes
// into error rows, and turn the errors back into parameter gradients, all in
// O(batch · L0 · d_in) after the encoder GEMM. Each architecture composes
// them in its own sparse_step (see architectures/).

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "dictlab/collectives.h"
#include "row_top_k.h"
#include "sae.h"

namespace sparse_autoencoder {

// Buffers a training loop keeps from step to step: a fresh [batch, d_sae]
// pre-activation matrix each step costs more in page faults than the sparse
// work after the GEMM.
struct SparseStepWorkspace {
  torch::Tensor pre;           // [encoder block rows, d_sae]
  torch::Tensor w_enc_grad_t;  // [d_sae, d_in]
  // Rows encoded at a time; 0 chooses from d_sae (see sparse_kernels.cc).
  std::int64_t encoder_block_rows = 0;
  // The ranks whose rows together make this step's batch in data-parallel
  // training; none when this rank's rows are the whole batch. What depends
  // on the whole batch (BatchTopK's cut, AuxK's normaliser, JumpReLU's L0
  // target) is computed over all of them.
  dictlab::Collectives* ranks = nullptr;

  // A sum over the whole batch of this rank's part of it.
  double batch_sum(double value) const { return ranks ? ranks->sum(value) : value; }
  // The values of every rank's rows, concatenated (1-D).
  torch::Tensor batch_values(const torch::Tensor& values) const { return ranks ? ranks->concatenate(values) : values; }
};

// Selected codes of a batch, row by row (CSR), with the gradient of the loss
// with respect to each.
struct SparseCodes {
  std::vector<std::int64_t> row_start;  // rows + 1
  std::vector<std::int32_t> feature;
  std::vector<float> value;
  std::vector<float> grad;

  std::int64_t rows() const { return static_cast<std::int64_t>(row_start.size()) - 1; }
  std::size_t size() const { return feature.size(); }
  // The codes whose feature is below `limit` (a Matryoshka prefix).
  SparseCodes prefix(std::int32_t limit) const;
};

// Appends the codes one row keeps, as (value, feature) picks. Called for
// every row of a block, from several threads at once (one scratch each).
using RowSelector = std::function<void(const float* pre, std::int64_t width, std::vector<Pick>& picks,
                                       TopKScratch& scratch)>;

RowSelector positive_entries();  // ReLU
// The positive part of the k largest, among `allowed` features when given.
RowSelector top_k_entries(std::int64_t k, const std::vector<std::int32_t>* allowed = nullptr);

// Encodes `encoder_input` [rows, d_in] block by block and applies each
// selector to every row while its pre-activations are in cache: [block,
// d_sae] floats a thread instead of [batch, d_sae]. One SparseCodes per
// selector.
std::vector<SparseCodes> encode_and_select(const Sae& sae, const torch::Tensor& encoder_input,
                                           const std::vector<RowSelector>& selectors, SparseStepWorkspace& workspace);

// Per row: error = start + Σ codes · W_dec rows, then each code's gradient
// scale · (error · its W_dec row); `scale` is d loss / d error. `start` may
// be `error` itself. Returns Σ error².
double decode_errors(SparseCodes& codes, const torch::Tensor& w_dec, const float* start, float* error, float scale);

// One loss term's codes, its error rows and d loss / d error.
struct Term {
  const SparseCodes* codes;
  const float* error;
  float scale;
};

// Gradients of W_dec (projected, see Sae::project_decoder_gradient), W_enc
// and b_enc from the terms, one feature per task. Returns b_enc's gradient.
torch::Tensor backpropagate(Sae& sae, const std::vector<Term>& terms, const torch::Tensor& encoder_input,
                            SparseStepWorkspace& workspace);

// The features with any code, as a [d_sae] bool tensor.
torch::Tensor fired_features(const SparseCodes& codes, std::int64_t d_sae);
// The features whose flag is set, in order.
std::vector<std::int32_t> features_in(const torch::Tensor& flags);

}  // namespace sparse_autoencoder

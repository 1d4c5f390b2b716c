#pragma once

// BatchTopK's selection (Bussmann et al. 2024): the B·k largest positive
// pre-activations of a batch of B rows, whichever rows hold them, and the
// running threshold that stands in for the batch at inference.
//
// The batch is encoded block by block and each block's pre-activations are
// dropped once its codes are picked, so the global cut is found from
// per-row candidates: each row keeps its top c·k positive entries; the B·k
// largest of all candidates are the batch's winners, except that a row whose
// candidates all won may hold more winners than it kept. Such rows are
// encoded again on their own and every entry of theirs above the cut joins
// the pool before the cut is taken again. The result is exact: the cut over
// a subset of entries is a lower bound of the true cut, and the pool then
// holds every entry of the batch at or above it.

#include <torch/torch.h>

#include <cstdint>
#include <optional>

#include "sparse_kernels.h"

namespace sparse_autoencoder {

class BatchTopKSelection {
 public:
  // Candidates kept per row, as a multiple of k: a row holds more than this
  // many times its share of the batch's winners seldom enough that encoding
  // it again costs little (see the bench's batch_top_k_reencoded_rows).
  static constexpr std::int64_t kCandidatesPerK = 4;

  BatchTopKSelection(std::int64_t k, std::int64_t d_sae);

  // The selector for encode_and_select: each row's candidates.
  RowSelector candidates() const;
  // The batch's k · rows largest positive codes from the candidates;
  // `encoder_input` is what was encoded (rows that need it are encoded
  // again). In data-parallel training the batch is every rank's rows: the
  // cut is taken over all their candidates, and each rank keeps its own
  // rows' codes above it.
  SparseCodes select(const Sae& sae, const torch::Tensor& encoder_input, const SparseCodes& candidates,
                     const SparseStepWorkspace& workspace) const;
  // The codes as autograd computes them: relu, then the k · rows largest of
  // the flattened batch (zeros where there are fewer positives), the batch
  // being every rank's rows when `workspace` has ranks.
  torch::Tensor dense(const torch::Tensor& pre, const SparseStepWorkspace& workspace) const;

  std::int64_t k() const { return k_; }

 private:
  std::int64_t k_;
  std::int64_t per_row_;    // candidates a row keeps
  bool rows_can_overflow_;  // false when a row's candidates are all of it
};

// The smallest code a batch kept (over every rank's rows), or none when it
// kept none.
std::optional<float> smallest_code(const SparseCodes& codes, const SparseStepWorkspace& workspace);
std::optional<float> smallest_code(const torch::Tensor& codes, const SparseStepWorkspace& workspace);

// The inference threshold θ: from `start` on, an exponential moving average
// (weight β on the old value) of each batch's smallest kept code, the first
// one taken as it is (dictionary_learning's rule). It lives, one value per
// feature, in sae.state["threshold"] so checkpoints hold it; 0 means no
// batch has been seen yet (kept codes are positive).
class RunningThreshold {
 public:
  RunningThreshold(std::int64_t start, double beta) : start_(start), beta_(beta) {}

  // What this step's batch kept; consumed by the same step's update.
  void observe(std::optional<float> smallest) { observed_ = smallest; }
  void update(Sae& sae, std::int64_t step);

 private:
  std::int64_t start_;
  double beta_;
  std::optional<float> observed_;
};

}  // namespace sparse_autoencoder

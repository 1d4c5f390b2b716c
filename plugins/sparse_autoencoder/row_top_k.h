#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace sparse_autoencoder {

// (value, index) of one selected entry.
using Pick = std::pair<float, std::int32_t>;

// Buffers one thread reuses from row to row.
struct TopKScratch {
  std::vector<float> group_max;  // by group
  std::vector<float> bound_search;
  std::vector<Pick> candidates;
};

// The k largest entries of `row` (n floats), written to `out` in no
// particular order; returns how many (min(k, n), fewer only when NaNs are
// among the n). Ties go to the lower index, so the choice never depends on
// the order of the work.
//
// Why not a heap over the whole row: the k-th largest of the maxima of
// groups of the row is a lower bound of the row's k-th largest entry (k
// groups hold an entry at least that large), so one vectorised pass for the
// group maxima and a look inside the few groups whose maximum reaches that
// bound find the candidates; a selection among them finishes the job.
std::int64_t row_top_k(const float* row, std::int64_t n, std::int64_t k, Pick* out, TopKScratch& scratch);

}  // namespace sparse_autoencoder

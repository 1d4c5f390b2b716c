#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "dictlab/collectives.h"

namespace feature_matching {

// Pearson correlations between every column of A and every column of B over
// the same rows, accumulated chunk by chunk (sums in double, so that long
// runs of tokens lose no precision).
class CrossCorrelation {
 public:
  CrossCorrelation(std::int64_t a_width, std::int64_t b_width);

  // a: [rows, a_width], b: [rows, b_width], the same rows in both.
  void add(const torch::Tensor& a, const torch::Tensor& b);

  // For each column of A, the column of B it correlates with most. Columns
  // that never varied (dead features) have correlation 0 with everything.
  struct Matches {
    torch::Tensor index;        // [a_width] long
    torch::Tensor correlation;  // [a_width] double
    torch::Tensor a_varied;     // [a_width] bool
  };
  Matches best_matches() const;
  double rows() const { return rows_; }

  // Adds every rank's sums (of disjoint rows) into each rank's.
  void sum_over(dictlab::Collectives& ranks);

 private:
  torch::Tensor sum_a_, sum_b_, squares_a_, squares_b_, cross_;
  double rows_ = 0;
};

}  // namespace feature_matching

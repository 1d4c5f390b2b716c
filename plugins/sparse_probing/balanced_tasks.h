#pragma once

// SAEBench's balanced binary tasks: as many tokens of the class as of its
// rest, on each side of a train/test split made by context, so that a probe is
// tested on contexts it was not fitted on.

#include <cstdint>
#include <vector>

#include "probe_classes.h"

namespace sparse_probing {

struct TaskRows {
  std::vector<std::int64_t> train_positive, train_negative, test_positive, test_negative;
  std::int64_t available_positive = 0, available_negative = 0;  // before balancing
};

// Rows (indices into `facts`) for one class: taken in `order` (a seeded
// permutation of all rows, the same for every class, so that the rest's rows
// are mostly shared between classes and read once), at most `examples` in
// all, split as `is_test` says, with equal numbers of positives and
// negatives on each side of the split.
TaskRows balanced_rows(const std::vector<TokenFacts>& facts, const std::vector<bool>& is_test, const ProbeClass& task,
                       const std::vector<std::int64_t>& order, std::int64_t examples, double test_fraction);

}  // namespace sparse_probing

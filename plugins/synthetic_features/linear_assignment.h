#pragma once

#include <cstdint>
#include <vector>

namespace synthetic {

// The minimum-cost one-to-one matching of a rows × cols cost matrix
// (row-major), every row of the smaller side matched: what
// scipy.optimize.linear_sum_assignment returns, by the shortest augmenting
// path form of the Hungarian algorithm (O(r²·c) for r ≤ c).
// Returns, for each row, its column, or -1 where rows > cols left it out.
std::vector<std::int64_t> min_cost_assignment(const std::vector<float>& cost, std::int64_t rows, std::int64_t cols);

}  // namespace synthetic

// The Hungarian matching against exhaustive search over every one-to-one
// assignment of small random cost matrices, in both orientations.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <numeric>

#include "fast_random.h"
#include "linear_assignment.h"

namespace synthetic {
namespace {

// The least total cost over all injections of the smaller side into the larger.
double brute_force_cost(const std::vector<float>& cost, std::int64_t rows, std::int64_t cols) {
  const bool by_rows = rows <= cols;
  const std::int64_t small = by_rows ? rows : cols, large = by_rows ? cols : rows;
  std::vector<std::int64_t> order(static_cast<std::size_t>(large));
  std::iota(order.begin(), order.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  do {  // every permutation of the large side; its first `small` entries are an injection
    double total = 0;
    for (std::int64_t i = 0; i < small; ++i) {
      const std::int64_t r = by_rows ? i : order[static_cast<std::size_t>(i)];
      const std::int64_t c = by_rows ? order[static_cast<std::size_t>(i)] : i;
      total += cost[static_cast<std::size_t>(r * cols + c)];
    }
    best = std::min(best, total);
  } while (std::next_permutation(order.begin(), order.end()));
  return best;
}

void check_against_brute_force(std::int64_t rows, std::int64_t cols, std::uint64_t seed) {
  FastRandom rng(seed, 0, 0);
  std::vector<float> cost(static_cast<std::size_t>(rows * cols));
  // Few distinct values, so that ties (the hard case) are common.
  for (auto& c : cost) c = static_cast<float>(rng.below(5)) / 4.0f;
  const auto column = min_cost_assignment(cost, rows, cols);
  ASSERT_EQ(column.size(), static_cast<std::size_t>(rows));
  double total = 0;
  std::vector<int> used(static_cast<std::size_t>(cols), 0);
  std::int64_t matched = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    if (column[static_cast<std::size_t>(r)] < 0) continue;
    ASSERT_LT(column[static_cast<std::size_t>(r)], cols);
    ASSERT_EQ(used[static_cast<std::size_t>(column[static_cast<std::size_t>(r)])]++, 0) << "column used twice";
    total += cost[static_cast<std::size_t>(r * cols + column[static_cast<std::size_t>(r)])];
    ++matched;
  }
  EXPECT_EQ(matched, std::min(rows, cols));
  EXPECT_NEAR(total, brute_force_cost(cost, rows, cols), 1e-6) << rows << "x" << cols << " seed " << seed;
}

TEST(LinearAssignment, MatchesExhaustiveSearch) {
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    check_against_brute_force(4, 7, seed);
    check_against_brute_force(7, 4, seed);
    check_against_brute_force(6, 6, seed);
  }
}

TEST(LinearAssignment, PrefersTheGlobalOptimumToGreedyChoices) {
  // Greedy takes (0,0) = 0.0 and must then pay 1.0; the optimum pays 0.1 + 0.1.
  const std::vector<float> cost = {0.0f, 0.1f,  //
                                   0.1f, 1.0f};
  EXPECT_EQ(min_cost_assignment(cost, 2, 2), (std::vector<std::int64_t>{1, 0}));
}

}  // namespace
}  // namespace synthetic

#include "balanced_tasks.h"

#include <algorithm>
#include <cmath>

namespace sparse_probing {

TaskRows balanced_rows(const std::vector<TokenFacts>& facts, const std::vector<bool>& is_test, const ProbeClass& task,
                       const std::vector<std::int64_t>& order, std::int64_t examples, double test_fraction) {
  std::vector<std::int64_t> positive[2], negative[2];  // [0]: train, [1]: test
  for (const std::int64_t row : order) {
    const auto& fact = facts[static_cast<std::size_t>(row)];
    const int side = is_test[static_cast<std::size_t>(row)] ? 1 : 0;
    if (task.positive(fact)) positive[side].push_back(row);
    else if (task.negative(fact)) negative[side].push_back(row);
  }
  const auto test_each = static_cast<std::int64_t>(std::llround(static_cast<double>(examples) * test_fraction / 2));
  const std::int64_t caps[2] = {examples / 2 - test_each, test_each};
  TaskRows rows;
  rows.available_positive = static_cast<std::int64_t>(positive[0].size() + positive[1].size());
  rows.available_negative = static_cast<std::int64_t>(negative[0].size() + negative[1].size());
  for (int side = 0; side < 2; ++side) {
    const auto n = static_cast<std::size_t>(std::min<std::int64_t>(
        {caps[side], static_cast<std::int64_t>(positive[side].size()), static_cast<std::int64_t>(negative[side].size())}));
    positive[side].resize(n);
    negative[side].resize(n);
  }
  rows.train_positive = std::move(positive[0]), rows.train_negative = std::move(negative[0]);
  rows.test_positive = std::move(positive[1]), rows.test_negative = std::move(negative[1]);
  return rows;
}

}  // namespace sparse_probing

#include "row_top_k.h"

#include <algorithm>

#include "vector_kernels.h"

namespace sparse_autoencoder {

std::int64_t row_top_k(const float* row, std::int64_t n, std::int64_t k, Pick* out, TopKScratch& scratch) {
  k = std::min(k, n);
  if (k <= 0) return 0;
  // Groups of 16 (two AVX2 vectors) keep the first pass at memory speed; at
  // least k groups are needed for the bound to exist.
  const std::int64_t group = std::clamp<std::int64_t>(n / k, 1, 16);
  const std::int64_t groups = (n + group - 1) / group;
  scratch.group_max.resize(static_cast<std::size_t>(groups));
  group_maxima(row, n, group, scratch.group_max.data());
  auto& bound_search = scratch.bound_search;  // nth_element reorders; the maxima stay by group
  bound_search.assign(scratch.group_max.begin(), scratch.group_max.end());
  std::nth_element(bound_search.begin(), bound_search.begin() + (k - 1), bound_search.end(), std::greater<float>());
  const float bound = bound_search[static_cast<std::size_t>(k - 1)];

  auto& candidates = scratch.candidates;
  candidates.clear();
  for (std::int64_t g = 0; g < groups; ++g) {
    if (!(scratch.group_max[static_cast<std::size_t>(g)] >= bound)) continue;
    const std::int64_t end = std::min(n, (g + 1) * group);
    for (std::int64_t i = g * group; i < end; ++i)
      if (row[i] >= bound) candidates.emplace_back(row[i], static_cast<std::int32_t>(i));
  }
  const auto larger = [](const Pick& a, const Pick& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); };
  const std::int64_t kept = std::min<std::int64_t>(k, static_cast<std::int64_t>(candidates.size()));
  if (kept == 0) return 0;
  std::nth_element(candidates.begin(), candidates.begin() + (kept - 1), candidates.end(), larger);
  std::copy(candidates.begin(), candidates.begin() + kept, out);
  return kept;
}

}  // namespace sparse_autoencoder

// The TopK selection must pick what a full sort picks.
#include "row_top_k.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace sparse_autoencoder {
namespace {

// The k largest (value desc, index asc), sorted by index.
std::vector<std::int32_t> by_sorting(const std::vector<float>& row, std::int64_t k) {
  std::vector<std::int32_t> order(row.size());
  for (std::size_t i = 0; i < row.size(); ++i) order[i] = static_cast<std::int32_t>(i);
  std::erase_if(order, [&](std::int32_t i) { return std::isnan(row[static_cast<std::size_t>(i)]); });
  std::stable_sort(order.begin(), order.end(), [&](auto a, auto b) { return row[a] > row[b]; });
  order.resize(std::min<std::size_t>(order.size(), static_cast<std::size_t>(k)));
  std::sort(order.begin(), order.end());
  return order;
}

std::vector<std::int32_t> picked(const std::vector<float>& row, std::int64_t k) {
  std::vector<Pick> out(static_cast<std::size_t>(k));
  TopKScratch scratch;
  const std::int64_t n = row_top_k(row.data(), static_cast<std::int64_t>(row.size()), k, out.data(), scratch);
  std::vector<std::int32_t> indices;
  for (std::int64_t i = 0; i < n; ++i) {
    EXPECT_EQ(out[i].first, row[static_cast<std::size_t>(out[i].second)]);
    indices.push_back(out[i].second);
  }
  std::sort(indices.begin(), indices.end());
  return indices;
}

}  // namespace

TEST(RowTopK, PicksWhatASortPicksForManyShapes) {
  std::mt19937 random(11);
  std::normal_distribution<float> normal;
  // Widths that are not multiples of the group or vector size, k from 1 to
  // the whole row, and k large enough that groups shrink to single entries.
  for (const std::int64_t n : {1, 7, 17, 100, 320, 4096, 4099})
    for (const std::int64_t k : {1, 3, 32, 256, 5000}) {
      std::vector<float> row(static_cast<std::size_t>(n));
      for (float& v : row) v = normal(random);
      EXPECT_EQ(picked(row, k), by_sorting(row, k)) << "n " << n << ", k " << k;
    }
}

TEST(RowTopK, TiesGoToTheLowerIndexAndNaNsAreNeverPicked) {
  std::vector<float> row(64, 1.0f);
  row[5] = row[40] = 2.0f;
  row[7] = std::numeric_limits<float>::quiet_NaN();
  row[50] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(picked(row, 4), (std::vector<std::int32_t>{0, 5, 40, 50}));
  std::vector<float> nans(20, std::numeric_limits<float>::quiet_NaN());
  nans[3] = -1.0f;
  EXPECT_EQ(picked(nans, 5), (std::vector<std::int32_t>{3}));
}

}  // namespace sparse_autoencoder

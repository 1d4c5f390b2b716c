#include "linear_assignment.h"

#include <limits>

namespace synthetic {

namespace {

// Rows ≤ cols: potentials u (rows) and v (cols), one row added at a time by
// a Dijkstra-like search over columns (e-maxx's formulation, 1-based with a
// virtual column 0).
std::vector<std::int64_t> assign_rows(const std::vector<float>& cost, std::int64_t rows, std::int64_t cols) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<double> u(static_cast<std::size_t>(rows + 1), 0.0), v(static_cast<std::size_t>(cols + 1), 0.0);
  std::vector<std::int64_t> row_of(static_cast<std::size_t>(cols + 1), 0), way(static_cast<std::size_t>(cols + 1), 0);
  std::vector<double> min_to(static_cast<std::size_t>(cols + 1));
  std::vector<char> used(static_cast<std::size_t>(cols + 1));
  for (std::int64_t i = 1; i <= rows; ++i) {
    row_of[0] = i;
    std::int64_t col = 0;
    std::fill(min_to.begin(), min_to.end(), kInf);
    std::fill(used.begin(), used.end(), 0);
    do {
      used[static_cast<std::size_t>(col)] = 1;
      const std::int64_t row = row_of[static_cast<std::size_t>(col)];
      const float* costs = cost.data() + (row - 1) * cols;
      const double u_row = u[static_cast<std::size_t>(row)];
      double delta = kInf;
      std::int64_t next = 0;
      for (std::int64_t j = 1; j <= cols; ++j) {
        if (used[static_cast<std::size_t>(j)]) continue;
        const double reduced = static_cast<double>(costs[j - 1]) - u_row - v[static_cast<std::size_t>(j)];
        if (reduced < min_to[static_cast<std::size_t>(j)]) {
          min_to[static_cast<std::size_t>(j)] = reduced;
          way[static_cast<std::size_t>(j)] = col;
        }
        if (min_to[static_cast<std::size_t>(j)] < delta) {
          delta = min_to[static_cast<std::size_t>(j)];
          next = j;
        }
      }
      for (std::int64_t j = 0; j <= cols; ++j) {
        if (used[static_cast<std::size_t>(j)]) {
          u[static_cast<std::size_t>(row_of[static_cast<std::size_t>(j)])] += delta;
          v[static_cast<std::size_t>(j)] -= delta;
        } else {
          min_to[static_cast<std::size_t>(j)] -= delta;
        }
      }
      col = next;
    } while (row_of[static_cast<std::size_t>(col)] != 0);
    do {  // flip the augmenting path
      const std::int64_t previous = way[static_cast<std::size_t>(col)];
      row_of[static_cast<std::size_t>(col)] = row_of[static_cast<std::size_t>(previous)];
      col = previous;
    } while (col != 0);
  }
  std::vector<std::int64_t> column_of_row(static_cast<std::size_t>(rows), -1);
  for (std::int64_t j = 1; j <= cols; ++j)
    if (row_of[static_cast<std::size_t>(j)] > 0) column_of_row[static_cast<std::size_t>(row_of[static_cast<std::size_t>(j)] - 1)] = j - 1;
  return column_of_row;
}

}  // namespace

std::vector<std::int64_t> min_cost_assignment(const std::vector<float>& cost, std::int64_t rows, std::int64_t cols) {
  if (rows == 0 || cols == 0) return std::vector<std::int64_t>(static_cast<std::size_t>(rows), -1);
  if (rows <= cols) return assign_rows(cost, rows, cols);
  std::vector<float> transposed(cost.size());
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) transposed[static_cast<std::size_t>(c * rows + r)] = cost[static_cast<std::size_t>(r * cols + c)];
  const auto row_of_col = assign_rows(transposed, cols, rows);
  std::vector<std::int64_t> column_of_row(static_cast<std::size_t>(rows), -1);
  for (std::int64_t c = 0; c < cols; ++c) column_of_row[static_cast<std::size_t>(row_of_col[static_cast<std::size_t>(c)])] = c;
  return column_of_row;
}

}  // namespace synthetic

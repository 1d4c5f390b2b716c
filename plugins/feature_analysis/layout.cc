#include "layout.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

namespace feature_analysis {
namespace {

struct Edge {
  std::int32_t from, to;
  float weight;
};

// Each point's k nearest neighbours by cosine distance, with UMAP's fuzzy
// membership weights exp(-(d - rho) / sigma), sigma set so they sum to log2(k).
std::vector<Edge> neighbour_graph(const torch::Tensor& unit, std::int64_t k) {
  const std::int64_t n = unit.size(0);
  std::vector<Edge> edges;
  edges.reserve(static_cast<std::size_t>(n * k));
  constexpr std::int64_t kChunk = 1024;
  for (std::int64_t start = 0; start < n; start += kChunk) {
    const std::int64_t rows = std::min(kChunk, n - start);
    torch::Tensor similarity = torch::matmul(unit.narrow(0, start, rows), unit.t());
    similarity.narrow(1, start, rows).fill_diagonal_(-2.0);  // not its own neighbour
    const auto [best, ids] = similarity.topk(k, 1);
    const auto value = best.accessor<float, 2>();
    const auto id = ids.accessor<std::int64_t, 2>();
    for (std::int64_t i = 0; i < rows; ++i) {
      std::vector<double> distance(static_cast<std::size_t>(k));
      for (std::int64_t j = 0; j < k; ++j) distance[static_cast<std::size_t>(j)] = 1.0 - value[i][j];
      const double rho = distance[0];
      double low = 1e-6, high = 10.0;
      for (int iteration = 0; iteration < 40; ++iteration) {
        const double sigma = (low + high) / 2;
        double total = 0;
        for (double d : distance) total += std::exp(-std::max(0.0, d - rho) / sigma);
        (total > std::log2(static_cast<double>(k)) ? high : low) = sigma;
      }
      const double sigma = (low + high) / 2;
      for (std::int64_t j = 0; j < k; ++j)
        edges.push_back({static_cast<std::int32_t>(start + i), static_cast<std::int32_t>(id[i][j]),
                         static_cast<float>(std::exp(-std::max(0.0, distance[static_cast<std::size_t>(j)] - rho) / sigma))});
    }
  }
  return edges;
}

// The first two principal components, scaled to a spread of about 10 (UMAP's start).
torch::Tensor principal_start(const torch::Tensor& points) {
  const torch::Tensor centred = points - points.mean(0, true);
  const auto [values, vectors] = at::linalg_eigh(torch::matmul(centred.t(), centred), "L");
  torch::Tensor start = torch::matmul(centred, vectors.narrow(1, vectors.size(1) - 2, 2));
  return (start / (start.abs().max() + 1e-12) * 10.0).contiguous();
}

}  // namespace

torch::Tensor layout_2d(const torch::Tensor& directions, const LayoutOptions& options) {
  torch::NoGradGuard no_grad;
  const std::int64_t n = directions.size(0);
  if (n < 3) return torch::full({n, 2}, 0.5f);
  const torch::Tensor unit = directions / (directions.norm(2, 1, true) + 1e-12);
  const std::vector<Edge> edges = neighbour_graph(unit, std::min(options.neighbors, n - 1));
  torch::Tensor position = principal_start(unit);
  float* y = position.data_ptr<float>();

  constexpr double a = 1.577, b = 0.895;  // UMAP's curve for min_dist = 0.1, spread = 1
  constexpr int kNegatives = 5;
  std::mt19937_64 rng(options.seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  std::uniform_int_distribution<std::int64_t> any(0, n - 1);
  auto clip = [](double g) { return std::clamp(g, -4.0, 4.0); };
  for (std::int64_t epoch = 0; epoch < options.epochs; ++epoch) {
    const double rate = 1.0 - static_cast<double>(epoch) / static_cast<double>(options.epochs);
    for (const Edge& edge : edges) {
      if (uniform(rng) > edge.weight) continue;  // edges are sampled in proportion to their weight
      float* p = y + 2 * edge.from;
      float* q = y + 2 * edge.to;
      const double dx = p[0] - q[0], dy = p[1] - q[1], d2 = dx * dx + dy * dy;
      if (d2 > 0) {
        const double pull = -2 * a * b * std::pow(d2, b - 1) / (1 + a * std::pow(d2, b));
        for (int axis = 0; axis < 2; ++axis) {
          const double g = rate * clip(pull * (axis ? dy : dx));
          p[axis] += static_cast<float>(g);
          q[axis] -= static_cast<float>(g);
        }
      }
      for (int s = 0; s < kNegatives; ++s) {
        const float* r = y + 2 * any(rng);
        const double ex = p[0] - r[0], ey = p[1] - r[1], e2 = ex * ex + ey * ey;
        const double push = 2 * b / ((0.001 + e2) * (1 + a * std::pow(e2, b)));
        for (int axis = 0; axis < 2; ++axis) p[axis] += static_cast<float>(rate * clip(push * (axis ? ey : ex)));
      }
    }
  }
  const torch::Tensor low = std::get<0>(position.min(0, true)), high = std::get<0>(position.max(0, true));
  return ((position - low) / (high - low + 1e-12) * 0.96 + 0.02).contiguous();
}

}  // namespace feature_analysis

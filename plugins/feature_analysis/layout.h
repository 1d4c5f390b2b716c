#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace feature_analysis {

struct LayoutOptions {
  std::int64_t neighbors = 15;
  std::int64_t epochs = 200;
  std::uint64_t seed = 0;
};

// A 2-D map of the features in [0, 1]^2 where neighbours have similar decoder
// directions: UMAP's recipe (McInnes et al. 2018) in brief. A k-nearest-
// neighbour graph by cosine similarity, fuzzy edge weights from each point's
// local distance scale, a PCA start, then attraction along edges and
// repulsion from random points with UMAP's curve for min_dist 0.1.
torch::Tensor layout_2d(const torch::Tensor& directions, const LayoutOptions& options);

}  // namespace feature_analysis

#pragma once

#include <torch/torch.h>

namespace sparse_autoencoder {

// The point minimising the sum of distances to the rows of `points`
// (Weiszfeld's iteration); the paper starts the decoder bias there.
torch::Tensor geometric_median(const torch::Tensor& points, int iterations = 100);

}  // namespace sparse_autoencoder

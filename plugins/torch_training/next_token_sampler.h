#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <random>

#include "dictlab/model.h"

namespace torch_training {

// The next token from one position's logits [vocab]: the most likely at
// temperature 0, otherwise a draw from the softmax at that temperature over
// the top_k most likely (all of them when top_k is 0).
std::int32_t sample_next_token(const torch::Tensor& logits, const dictlab::SamplingOptions& options,
                               std::mt19937_64& rng);

}  // namespace torch_training

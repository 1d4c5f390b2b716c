#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "dictlab/feature_evidence.h"
#include "dictlab/token_display.h"

namespace feature_analysis {

struct LogitEffects {
  std::vector<dictlab::TokenWeight> positive, negative;
};

// Each feature's direct effect on the next-token logits: its decoder direction
// [features, d_in] through the model's direct path from that hook to the logits [d_in, vocab],
// shifted so that the median over the vocabulary is 0 (as the paper shows
// them); the `count` strongest each way.
std::vector<LogitEffects> logit_effects(const torch::Tensor& directions, const torch::Tensor& logit_weights,
                                        std::int64_t count, const dictlab::TokenDisplay& tokens);

}  // namespace feature_analysis

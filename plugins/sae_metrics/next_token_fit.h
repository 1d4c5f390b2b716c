#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dictlab/model.h"

namespace sae_metrics {

// How a model's next-token predictions fit a batch, over positions 0..L-2
// (each predicting the token after it): the mean cross-entropy in nats, and
// the mean KL divergence KL(clean || edited) from the clean model's logits.
struct NextTokenFit {
  double loss = 0;
  double kl = 0;
};

struct NextTokenFits {
  double clean_loss = 0;
  std::vector<NextTokenFit> edited;  // in the order given
};

// `clean` and each of `edited` are logits [batch * length, vocab], row-major;
// the clean distribution of each position is computed once for all of them.
NextTokenFits next_token_fits(const std::vector<float>& clean, std::span<const std::vector<float>> edited,
                              const dictlab::TokenBatch& batch, std::int64_t vocab);

}  // namespace sae_metrics

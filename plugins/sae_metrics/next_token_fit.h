#pragma once

#include <cstdint>
#include <vector>

#include "dictlab/model.h"

namespace sae_metrics {

// How a model's next-token predictions fit a batch, over positions 0..L-2
// (each predicting the token after it): the mean cross-entropy in nats, and
// the mean KL divergence KL(reference || these) from a reference model's
// logits (the clean model, for a spliced or ablated one).
struct NextTokenFit {
  double loss = 0;
  double kl = 0;
};

// `logits` and `reference` are [batch * length, vocab], row-major.
NextTokenFit next_token_fit(const std::vector<float>& logits, const std::vector<float>& reference,
                            const dictlab::TokenBatch& batch, std::int64_t vocab);

}  // namespace sae_metrics

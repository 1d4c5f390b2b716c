#pragma once

#include "dictlab/token_shards.h"

namespace toy_transformer {

// What a model must beat: held-out cross-entropy (nats per token) of a
// unigram model with add-one smoothing and of a Witten-Bell interpolated
// bigram model, both counted on the training split.
struct NgramBaselines {
  double unigram_loss = 0;
  double bigram_loss = 0;
};

NgramBaselines ngram_baselines(const dictlab::TokenShard& train, const dictlab::TokenShard& heldout,
                               std::int64_t vocab_size);

}  // namespace toy_transformer

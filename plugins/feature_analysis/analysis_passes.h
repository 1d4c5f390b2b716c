#pragma once

#include <cstdint>
#include <string>

#include "dictlab/sdk.h"
#include "dictlab/token_shards.h"
#include "feature_statistics.h"

namespace feature_analysis {

// What the passes read: `contexts` windows of `length` tokens spread over the
// held-out split, encoded `per_batch` at a time.
struct PassPlan {
  std::int64_t contexts = 0, length = 0, per_batch = 1, checkpoint_interval = 32;
  std::int64_t batches() const { return (contexts + per_batch - 1) / per_batch; }
};

// Both passes of `statistics` over the plan's batches, resuming from the
// stage's latest checkpoint. In a data-parallel run each rank takes every
// N-th batch and rank 0 merges the ranks' statistics at the end of each pass
// (the first pass's maxima and triggers go back to every rank); checkpoints
// are then written at the passes' ends only, by rank 0. Returns false when stopped.
bool run_passes(dictlab::RunContext& context, const PassPlan& plan, dictlab::Model& model,
                dictlab::DictionaryLearner& dictionary, const std::string& hook, const dictlab::TokenShard& heldout,
                FeatureStatistics& statistics);

}  // namespace feature_analysis

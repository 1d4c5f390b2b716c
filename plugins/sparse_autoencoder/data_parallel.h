#pragma once

// Data-parallel training: every rank holds the same weights and trains on
// its own rows of each step's batch (Collectives::shard); the gradients of
// the whole batch are the ranks' gradients, each weighted by its share of
// the rows, summed. What a loss needs of the whole batch is computed across
// ranks inside the step (SparseStepWorkspace::ranks).

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>

#include "architecture.h"
#include "dictlab/collectives.h"
#include "sae.h"

namespace sparse_autoencoder {

// Rank 0's tensors on every rank, so that all start from the same state
// (fresh or restored).
void share_state(std::map<std::string, torch::Tensor>& state, dictlab::Collectives& ranks);

// The gradient of the whole batch's mean loss on every rank: this rank's,
// computed over its rows, weighted by `share` (its rows / the batch's),
// summed over ranks. Returns the bytes of gradient each rank contributes.
std::int64_t sum_gradients(Sae& sae, double share, dictlab::Collectives& ranks);

// The step's figures over the whole batch, the features any rank fired, and
// whether any rank was asked to stop (the ranks stop together, at the same
// step, so that none waits in a collective for one that left).
struct BatchStep {
  StepLoss loss;
  bool stop = false;
};
BatchStep reduce_step(const StepLoss& local, double share, bool stop_requested, dictlab::Collectives& ranks);

// Throws when the ranks' weights differ: a rank that drifted would
// otherwise train on other weights without anyone noticing.
void check_same_weights(const Sae& sae, std::int64_t step, dictlab::Collectives& ranks);

}  // namespace sparse_autoencoder

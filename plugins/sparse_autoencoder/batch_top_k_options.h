#pragma once

// The options BatchTopK and Matryoshka dictionaries share: declared once for
// both plugins and read here for both architectures.

#include <vector>

#include "aux_k.h"
#include "batch_top_k.h"
#include "dictlab/options.h"

namespace sparse_autoencoder {

std::vector<dictlab::OptionSpec> batch_top_k_options();

BatchTopKSelection batch_top_k_selection(const dictlab::Options& options);
// Starts at threshold_start_step or half the run, whichever comes first, so
// that a short run (tests, quickstarts) still ends with a threshold.
RunningThreshold running_threshold(const dictlab::Options& options);

}  // namespace sparse_autoencoder

#include "batch_top_k_options.h"

#include <algorithm>

#include "dictlab/errors.h"

namespace sparse_autoencoder {

using dictlab::OptionSpec;
using dictlab::OptionType;

std::vector<dictlab::OptionSpec> batch_top_k_options() {
  std::vector<dictlab::OptionSpec> options = {
      OptionSpec{"k", OptionType::kInt, "Active features per activation, on average over the batch.", std::int64_t{32}}
          .at_least(1),
      OptionSpec{"threshold_beta", OptionType::kFloat,
                 "Weight of the old value in the running inference threshold (an exponential moving average of "
                 "each batch's smallest kept code; SAELens' topk_threshold_lr is 1 - this).",
                 0.99}
          .at_least(0)
          .below(1),
      OptionSpec{"threshold_start_step", OptionType::kInt,
                 "Step from which the inference threshold is tracked (or half of steps, if that comes first).",
                 std::int64_t{1000}}
          .at_least(0),
  };
  for (auto& option : AuxK::options()) options.push_back(std::move(option));
  return options;
}

BatchTopKSelection batch_top_k_selection(const dictlab::Options& options) {
  if (options.get_int("k") > options.get_int("d_sae")) throw dictlab::OptionError("k", "must not exceed d_sae");
  return BatchTopKSelection(options.get_int("k"), options.get_int("d_sae"));
}

RunningThreshold running_threshold(const dictlab::Options& options) {
  const std::int64_t start = std::min(options.get_int("threshold_start_step"), options.get_int("steps") / 2);
  return RunningThreshold(start, options.get_float("threshold_beta"));
}

}  // namespace sparse_autoencoder

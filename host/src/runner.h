#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dictlab/options.h"
#include "experiment.h"
#include "plugin_registry.h"
#include "rank_group.h"

namespace dictlab::host {

// A stage whose plugin was found and whose options passed its schema.
struct ValidatedStage {
  const StageSpec* spec;
  const LoadedPlugin* plugin;
  Options options;
};

// Resolves every stage's plugin and validates its table; all errors at once.
absl::StatusOr<std::vector<ValidatedStage>> validate_stages(const Experiment& experiment,
                                                            const PluginRegistry& registry);

struct RunFlags {
  std::vector<std::string> force;     // stages to redo even if finished
  std::optional<int> metrics_port;    // overrides [metrics] port
  std::optional<std::string> run_dir; // overrides [experiment] run_dir
  std::optional<int> local_rank;      // in a run of several ranks: this process's GPU (device_of_rank)
};

// Runs the stages in order, skipping those whose manifest matches, resuming
// those interrupted, and stopping at the first failure. A Cancelled status
// means the user stopped the run; running again resumes it.
absl::Status run_experiment(const Experiment& experiment, const PluginRegistry& registry, const RunFlags& flags,
                            std::ostream& out);
// The same as one rank of a distributed run: rank 0 holds the run lock and
// writes every artifact, the others run the data-parallel stages beside it.
absl::Status run_experiment(const Experiment& experiment, const PluginRegistry& registry, const RunFlags& flags,
                            std::ostream& out, RankGroup& ranks);

}  // namespace dictlab::host

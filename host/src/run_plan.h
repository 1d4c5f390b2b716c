#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "run_directory.h"
#include "runner.h"

namespace dictlab::host {

// What identifies a stage's result: plugin, version, options, seed, device and
// its inputs' output digests. A finished stage whose manifest records this
// digest is up to date.
std::string config_digest(const ValidatedStage& stage, const Experiment& experiment,
                          const std::vector<std::string>& input_digests);

// Looks at the run directory before anything is written or deleted, and
// refuses (FailedPrecondition, naming what and why) a run that would
//  - delete a stage folder dictlab did not write, or
//  - redo a finished stage whose configuration changed while finished stages
//    of other experiments in the same run directory read its outputs (they
//    would be left describing outputs that no longer exist), unless that
//    stage is in `force`.
absl::Status check_run_plan(const std::vector<ValidatedStage>& stages, const Experiment& experiment,
                            const RunDirectory& run_dir, const std::vector<std::string>& force);

}  // namespace dictlab::host

#pragma once

#include <vector>

#include "diagnostics.h"
#include "runner.h"

namespace dictlab::host {

// Checks every option declared as a model hook against the hook points the
// stage's model will have (the model stage found through the inputs), so a
// typo fails at `dictlab validate` with a did-you-mean, not hours into a run.
void check_hook_options(const std::vector<ValidatedStage>& stages, Diagnostics& diagnostics);

}  // namespace dictlab::host

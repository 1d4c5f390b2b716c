#pragma once

#include <cstddef>
#include <vector>

#include "diagnostics.h"
#include "runner.h"

namespace dictlab::host {

// The stages of stage i's one_pass group after i, in file order (empty when
// it names no group).
std::vector<std::size_t> later_in_pass(const std::vector<ValidatedStage>& stages, std::size_t i);

// A one_pass group trains on one pass over shared batches, so its stages'
// plugins must declare one pass_family, and the stages must read the same
// inputs with the same seed (which orders the batches). A group of one is
// refused too: it is most likely a typo in the other stage's group name.
void check_one_pass_groups(const std::vector<ValidatedStage>& stages, const Experiment& experiment,
                           Diagnostics& diagnostics);

}  // namespace dictlab::host

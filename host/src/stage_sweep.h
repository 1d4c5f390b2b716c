#pragma once

#include <map>
#include <string>
#include <vector>

#include "diagnostics.h"
#include "experiment.h"

namespace dictlab::host {

// One point of a sweep: a value for each sweep variable.
using SweepPoint = std::map<std::string, Located<OptionValue>>;

// The stages a [[stage]] table with a `sweep` stands for, one per point. In
// the name, the inputs and string options, "{var}" is replaced by the point's
// value of var; an option written as exactly "{var}" takes the value with its
// type (d_sae = "{size}" is the integer). A placeholder in the name or inputs
// that names no variable is an error; in other strings (prompt templates,
// say) it is left as written.
std::vector<StageSpec> expand_sweep(const StageSpec& stage, const std::vector<SweepPoint>& points,
                                    Diagnostics& diagnostics);

}  // namespace dictlab::host

#pragma once

#include <string>

#include "dictlab/labeler.h"

namespace dictlab::host {

// Runs a labeler stage: picks the features of its feature_analysis input,
// hands their evidence to the plugin, appends each label to a journal in the
// checkpoint folder the moment it arrives (a killed stage resumes with the
// rest), then writes labels.jsonl. Returns the stage's summary JSON.
std::string drive_labeler(Labeler& labeler, const std::string& labeler_name, RunContext& context);

}  // namespace dictlab::host

#pragma once

#include <string>

#include "dictlab/descriptor.h"
#include "dictlab/plugin.h"
#include "dictlab/run_context.h"

namespace dictlab::host {

// Runs one plugin for one stage according to its kind and returns a JSON
// summary for the manifest. Plugin exceptions pass through to the runner.
// Throws StageStopped when the user asked the run to stop.
std::string drive_stage(Plugin& plugin, const PluginDescriptor& descriptor, RunContext& context);

struct StageStopped {};

}  // namespace dictlab::host

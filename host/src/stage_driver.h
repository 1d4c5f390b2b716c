#pragma once

#include <string>

#include "dictlab/plugin.h"
#include "dictlab/run_context.h"

namespace dictlab::host {

// Runs one plugin for one stage according to its kind and returns a JSON
// summary for the manifest. Plugin exceptions pass through to the runner.
// Throws StageStopped when the user asked the run to stop.
std::string drive_stage(Plugin& plugin, PluginKind kind, RunContext& context);

struct StageStopped {};

// Whether the host can run stages of this kind yet, and if not, why.
const char* unsupported_stage_kind(PluginKind kind);

}  // namespace dictlab::host

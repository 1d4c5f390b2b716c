#pragma once

#include <vector>

#include "dictlab/options.h"
#include "synthetic_config.h"

namespace synthetic {

// The stage options that set a SyntheticConfig (same names as its fields).
std::vector<dictlab::OptionSpec> config_options();
SyntheticConfig config_from_options(const dictlab::Options& options);

}  // namespace synthetic

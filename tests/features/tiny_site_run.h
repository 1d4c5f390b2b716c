#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "test_support.h"

namespace dictlab::testing {

// The plugins of this build, for run_command's environment.
std::map<std::string, std::string> plugin_environment();

// A tiny corpus under `dir`/corpus and an experiment `dir`/exp.toml that runs
// it through tokenizer, toy model, a TopK dictionary and the feature analysis
// into `dir`/run; `analysis_options` are appended to the analysis stage.
std::filesystem::path write_tiny_site_experiment(const std::filesystem::path& dir,
                                                 const std::string& analysis_options = "");

}  // namespace dictlab::testing

#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "dictlab/options.h"
#include "source_position.h"

namespace dictlab::host {

// One [[stage]] table before validation: plugin options are kept as TOML
// gave them, with positions, until the plugin's schema is known.
struct StageSpec {
  Located<std::string> name;
  Located<std::string> plugin;
  Located<std::vector<std::string>> inputs;
  // A stage's own seed (`seed = N` in its table) replaces the experiment's:
  // model B is model A's stage with another seed, over the same tokens.
  std::optional<std::uint64_t> seed;
  // `one_pass = "group"`: the stages naming the same group train in one pass
  // over their shared inputs (plugins of one PluginDescriptor::pass_family).
  std::optional<Located<std::string>> one_pass;
  std::map<std::string, Located<OptionValue>> options;
  SourcePosition position;
};

struct Experiment {
  std::filesystem::path file;
  Located<std::string> name;
  Located<std::string> run_dir;
  std::uint64_t seed = 0;
  std::string device = "cpu";
  double collective_timeout_seconds = 300;
  Located<std::vector<std::string>> plugin_paths;
  std::string metrics_address = "127.0.0.1";
  Located<std::int64_t> metrics_port;
  std::vector<StageSpec> stages;
};

// Parses an experiment file and checks everything that does not need the
// plugins: TOML syntax, the [experiment] and [metrics] tables, stage names and
// inputs. Errors carry file:line:column; all of them are reported at once.
absl::StatusOr<Experiment> read_experiment(const std::filesystem::path& file);

}  // namespace dictlab::host

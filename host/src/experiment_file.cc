// The only translation unit that sees TOML++: everything after this works on
// typed values with source positions.
#include <toml++/toml.h>

#include <regex>
#include <set>

#include "experiment.h"
#include "nearest_word.h"
#include "option_validation.h"

namespace dictlab::host {
namespace {

SourcePosition position_of(const toml::source_region& region, const std::string& file) {
  return {file, static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}

std::optional<OptionValue> to_option_value(const toml::node& node, std::string& why) {
  if (auto v = node.value<bool>(); v && node.is_boolean()) return *v;
  if (node.is_integer()) return node.as_integer()->get();
  if (node.is_floating_point()) return node.as_floating_point()->get();
  if (node.is_string()) return node.as_string()->get();
  if (const toml::array* array = node.as_array()) {
    if (array->empty()) return std::vector<std::string>{};
    if (array->is_homogeneous(toml::node_type::string)) {
      std::vector<std::string> out;
      for (const auto& item : *array) out.push_back(item.as_string()->get());
      return out;
    }
    if (array->is_homogeneous(toml::node_type::integer)) {
      std::vector<std::int64_t> out;
      for (const auto& item : *array) out.push_back(item.as_integer()->get());
      return out;
    }
    std::vector<double> out;
    for (const auto& item : *array) {
      if (item.is_integer()) out.push_back(static_cast<double>(item.as_integer()->get()));
      else if (item.is_floating_point()) out.push_back(item.as_floating_point()->get());
      else {
        why = "a list must hold only strings or only numbers";
        return std::nullopt;
      }
    }
    return out;
  }
  why = node.is_table() ? "a nested table is not an option value" : "dates and times are not option values";
  return std::nullopt;
}

RawOptions raw_options(const toml::table& table, const std::string& file, Diagnostics& diagnostics,
                       const std::set<std::string>& skip = {}) {
  RawOptions raw;
  for (auto&& [key, node] : table) {
    const std::string name(key.str());
    if (skip.count(name)) continue;
    std::string why;
    auto value = to_option_value(node, why);
    const SourcePosition where = position_of(key.source(), file);
    if (!value) diagnostics.error(where, "key '" + name + "': " + why);
    else raw.emplace(name, Located<OptionValue>{std::move(*value), where});
  }
  return raw;
}

template <typename T>
Located<T> located(const RawOptions& raw, const std::string& key,
                   const T& value, const SourcePosition& fallback) {
  auto it = raw.find(key);
  return {value, it == raw.end() ? fallback : it->second.position};
}

const std::vector<OptionSpec>& experiment_schema() {
  static const std::vector<OptionSpec> schema = {
      {"name", OptionType::kString, "Experiment name, a label on every metric.", std::string()},
      {"run_dir", OptionType::kString, "Where artifacts go (default runs/<name>), relative to the working directory.",
       std::string()},
      {"seed", OptionType::kInt, "Seed handed to every stage.", std::int64_t{0}},
      {"device", OptionType::kString, "Torch device for stages that use one: cpu, cuda, cuda:N.",
       std::string("cpu")},
      {"plugin_paths", OptionType::kStringList, "Extra folders (or .so files) searched for plugins.",
       std::vector<std::string>{}},
  };
  return schema;
}

const std::vector<OptionSpec>& metrics_schema() {
  static const std::vector<OptionSpec> schema = {
      {"address", OptionType::kString, "Address the /metrics endpoint binds.", std::string("127.0.0.1")},
      {"port", OptionType::kInt, "Port of the /metrics endpoint; 0 turns it off.", std::int64_t{0}},
  };
  return schema;
}

void read_stage(const toml::table& table, const std::string& file, Experiment& experiment,
                Diagnostics& diagnostics) {
  StageSpec stage;
  stage.position = position_of(table.source(), file);
  auto required_string = [&](const char* key, Located<std::string>& out) {
    const toml::node* node = table.get(key);
    if (!node) {
      diagnostics.error(stage.position, std::string("[[stage]] is missing required key '") + key + "'");
    } else if (!node->is_string()) {
      diagnostics.error(position_of(node->source(), file), std::string("key '") + key + "' must be a string");
    } else {
      out = {node->as_string()->get(), position_of(node->source(), file)};
    }
  };
  required_string("name", stage.name);
  required_string("plugin", stage.plugin);
  stage.inputs.position = stage.position;
  if (const toml::node* node = table.get("inputs")) {
    stage.inputs.position = position_of(node->source(), file);
    const toml::array* array = node->as_array();
    if (!array || !(array->empty() || array->is_homogeneous(toml::node_type::string))) {
      diagnostics.error(stage.inputs.position, "key 'inputs' must be a list of stage names");
    } else {
      for (const auto& item : *array) stage.inputs.value.push_back(item.as_string()->get());
    }
  }
  if (const toml::node* node = table.get("seed")) {
    if (!node->is_integer() || node->as_integer()->get() < 0)
      diagnostics.error(position_of(node->source(), file), "key 'seed' must be a non-negative integer");
    else
      stage.seed = static_cast<std::uint64_t>(node->as_integer()->get());
  }
  stage.options = raw_options(table, file, diagnostics, {"name", "plugin", "inputs", "seed"});

  static const std::regex kStageName("[A-Za-z0-9_][A-Za-z0-9_.-]*");
  if (!stage.name.value.empty()) {
    if (!std::regex_match(stage.name.value, kStageName))
      diagnostics.error(stage.name.position, "stage name '" + stage.name.value +
                                                 "' may only use letters, digits, '_', '-' and '.'");
    std::vector<std::string> earlier;
    for (const auto& other : experiment.stages) {
      if (other.name.value == stage.name.value)
        diagnostics.error(stage.name.position, "stage name '" + stage.name.value + "' is already used at line " +
                                                   std::to_string(other.name.position.line));
      earlier.push_back(other.name.value);
    }
    for (const auto& input : stage.inputs.value) {
      if (std::find(earlier.begin(), earlier.end(), input) != earlier.end()) continue;
      std::string message = "stage '" + stage.name.value + "' reads '" + input +
                            "', which is not an earlier stage";
      if (auto suggestion = nearest_word(input, earlier)) message += "; did you mean '" + *suggestion + "'?";
      diagnostics.error(stage.inputs.position, message);
    }
  }
  experiment.stages.push_back(std::move(stage));
}

}  // namespace

absl::StatusOr<Experiment> read_experiment(const std::filesystem::path& file) {
  const std::string path = file.string();
  toml::table document;
  try {
    document = toml::parse_file(path);
  } catch (const toml::parse_error& error) {
    return absl::InvalidArgumentError(position_of(error.source(), path).prefix() +
                                      "invalid TOML: " + std::string(error.description()));
  } catch (const std::exception& error) {
    return absl::InvalidArgumentError(path + ": " + error.what());
  }

  Diagnostics diagnostics;
  Experiment experiment;
  experiment.file = file;
  const SourcePosition file_position{path, 0, 0};

  static const std::vector<std::string> kTopLevel = {"experiment", "metrics", "stage"};
  for (auto&& [key, node] : document) {
    const std::string name(key.str());
    if (std::find(kTopLevel.begin(), kTopLevel.end(), name) != kTopLevel.end()) continue;
    std::string message = "unknown top-level key '" + name + "'";
    if (auto suggestion = nearest_word(name, kTopLevel)) message += "; did you mean '" + *suggestion + "'?";
    else message += "; expected [experiment], [metrics] or [[stage]]";
    diagnostics.error(position_of(key.source(), path), message);
  }

  auto table_or_empty = [&](const char* name) -> toml::table {
    const toml::node* node = document.get(name);
    if (!node) return {};
    if (const toml::table* table = node->as_table()) return *table;
    diagnostics.error(position_of(node->source(), path), std::string("'") + name + "' must be a table");
    return {};
  };

  const toml::table experiment_table = table_or_empty("experiment");
  const SourcePosition experiment_position =
      document.get("experiment") ? position_of(document.get("experiment")->source(), path) : file_position;
  const RawOptions experiment_raw = raw_options(experiment_table, path, diagnostics);
  const Options experiment_options =
      validate_options(experiment_raw, experiment_schema(), experiment_position, "[experiment]", diagnostics);

  const toml::table metrics_table = table_or_empty("metrics");
  const SourcePosition metrics_position =
      document.get("metrics") ? position_of(document.get("metrics")->source(), path) : file_position;
  const RawOptions metrics_raw = raw_options(metrics_table, path, diagnostics);
  const Options metrics_options =
      validate_options(metrics_raw, metrics_schema(), metrics_position, "[metrics]", diagnostics);

  if (!diagnostics.ok()) return diagnostics.status();

  std::string name = experiment_options.get_string("name");
  if (name.empty()) name = file.stem().string();
  experiment.name = located(experiment_raw, "name", name, experiment_position);
  std::string run_dir = experiment_options.get_string("run_dir");
  if (run_dir.empty()) run_dir = "runs/" + name;
  experiment.run_dir = located(experiment_raw, "run_dir", run_dir, experiment_position);
  experiment.seed = static_cast<std::uint64_t>(experiment_options.get_int("seed"));
  experiment.device = experiment_options.get_string("device");
  experiment.plugin_paths = located(experiment_raw, "plugin_paths",
                                    experiment_options.get_strings("plugin_paths"), experiment_position);
  experiment.metrics_address = metrics_options.get_string("address");
  experiment.metrics_port =
      located(metrics_raw, "port", metrics_options.get_int("port"), metrics_position);
  if (experiment.metrics_port.value < 0 || experiment.metrics_port.value > 65535)
    diagnostics.error(experiment.metrics_port.position, "key 'port' in [metrics] must be between 0 and 65535");

  if (const toml::node* stages = document.get("stage")) {
    const toml::array* array = stages->as_array();
    if (!array || !array->is_homogeneous(toml::node_type::table)) {
      diagnostics.error(position_of(stages->source(), path), "'stage' must be written as [[stage]] tables");
    } else {
      for (const auto& item : *array) read_stage(*item.as_table(), path, experiment, diagnostics);
    }
  }
  if (experiment.stages.empty() && diagnostics.ok())
    diagnostics.error(file_position, "no [[stage]] tables: an experiment needs at least one stage");

  if (!diagnostics.ok()) return diagnostics.status();
  return experiment;
}

}  // namespace dictlab::host

// The only translation unit that sees TOML++: everything after this works on
// typed values with source positions.
#include <toml++/toml.h>

#include <algorithm>
#include <regex>
#include <set>

#include "experiment.h"
#include "nearest_word.h"
#include "option_validation.h"
#include "stage_sweep.h"

namespace dictlab::host {
namespace {

namespace fs = std::filesystem;

SourcePosition position_of(const toml::source_region& region, const std::string& file) {
  return {file, static_cast<int>(region.begin.line), static_cast<int>(region.begin.column)};
}

// One file of an experiment: the file itself or one it includes.
struct SourceFile {
  std::string path;  // as the user wrote it, joined to the including file's folder
  toml::table document;
  bool is_main = false;
};
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
      OptionSpec{"seed", OptionType::kInt, "Seed handed to every stage.", std::int64_t{0}}.at_least(0),
      {"device", OptionType::kString, "Torch device for stages that use one: cpu, cuda, cuda:N.",
       std::string("cpu")},
      {"plugin_paths", OptionType::kStringList, "Extra folders (or .so files) searched for plugins.",
       std::vector<std::string>{}},
      OptionSpec{"collective_timeout", OptionType::kFloat,
                 "Seconds a rank of a distributed run waits for the others (to join, in a collective) before it "
                 "stops with an error naming the ranks that did not arrive.",
                 300.0}
          .above(0),
  };
  return schema;
}

const std::vector<OptionSpec>& metrics_schema() {
  static const std::vector<OptionSpec> schema = {
      {"address", OptionType::kString, "Address the /metrics endpoint binds.", std::string("127.0.0.1")},
      OptionSpec{"port", OptionType::kInt, "Port of the /metrics endpoint; 0 turns it off.", std::int64_t{0}}
          .between(0, 65535),
  };
  return schema;
}

// A sweep written as a table of lists (every combination) or as a list of
// tables (the points themselves).
std::vector<SweepPoint> sweep_points(const toml::node& sweep, const std::string& file, Diagnostics& diagnostics) {
  const SourcePosition where = position_of(sweep.source(), file);
  auto scalar = [&](const toml::node& node, const std::string& name) -> std::optional<Located<OptionValue>> {
    std::string why;
    auto value = to_option_value(node, why);
    if (value && !node.is_array()) return Located<OptionValue>{std::move(*value), position_of(node.source(), file)};
    diagnostics.error(position_of(node.source(), file), "sweep variable '" + name + "' must take numbers, strings or booleans");
    return std::nullopt;
  };
  std::vector<SweepPoint> points;
  if (const toml::table* grid = sweep.as_table()) {
    // TOML tables are unordered; the written order decides which variable varies slowest.
    std::vector<std::pair<const toml::key*, const toml::node*>> variables;
    for (auto&& [key, node] : *grid) variables.emplace_back(&key, &node);
    std::sort(variables.begin(), variables.end(), [](const auto& a, const auto& b) {
      return a.first->source().begin < b.first->source().begin;
    });
    points.emplace_back();
    for (const auto& [key_pointer, node_pointer] : variables) {
      const toml::key& key = *key_pointer;
      const toml::node& node = *node_pointer;
      const std::string name(key.str());
      const toml::array* values = node.as_array();
      if (!values || values->empty()) {
        diagnostics.error(position_of(key.source(), file), "sweep variable '" + name + "' must be a non-empty list");
        return {};
      }
      std::vector<SweepPoint> grown;
      for (const auto& point : points)
        for (const auto& item : *values)
          if (auto value = scalar(item, name)) grown.push_back(point), grown.back()[name] = std::move(*value);
      points = std::move(grown);
    }
  } else if (const toml::array* list = sweep.as_array(); list && list->is_homogeneous(toml::node_type::table)) {
    for (const auto& item : *list) {
      SweepPoint point;
      for (auto&& [key, node] : *item.as_table())
        if (auto value = scalar(node, std::string(key.str()))) point[std::string(key.str())] = std::move(*value);
      points.push_back(std::move(point));
    }
  }
  if (points.empty() || points.front().empty())
    diagnostics.error(where, "'sweep' must be a table of lists (sweep.size = [512, 1024]) or a list of tables "
                             "(sweep = [{size = 512}, {size = 1024}])");
  return points;
}

StageSpec parse_stage(const toml::table& table, const std::string& file, Diagnostics& diagnostics) {
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
  if (const toml::node* node = table.get("one_pass")) {
    if (!node->is_string() || node->as_string()->get().empty())
      diagnostics.error(position_of(node->source(), file), "key 'one_pass' must name a group of stages (a string)");
    else
      stage.one_pass = Located<std::string>{node->as_string()->get(), position_of(node->source(), file)};
  }
  stage.options = raw_options(table, file, diagnostics, {"name", "plugin", "inputs", "seed", "one_pass", "sweep"});
  return stage;
}

void add_stage(StageSpec stage, Experiment& experiment, Diagnostics& diagnostics) {
  static const std::regex kStageName("[A-Za-z0-9_][A-Za-z0-9_.-]*");
  if (!stage.name.value.empty()) {
    if (!std::regex_match(stage.name.value, kStageName))
      diagnostics.error(stage.name.position, "stage name '" + stage.name.value +
                                                 "' may only use letters, digits, '_', '-' and '.'");
    std::vector<std::string> earlier;
    for (const auto& other : experiment.stages) {
      if (other.name.value == stage.name.value)
        diagnostics.error(stage.name.position,
                          "stage name '" + stage.name.value + "' is already used at " +
                              (other.name.position.file == stage.name.position.file ? "line "
                                                                                    : other.name.position.file + ":") +
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

void read_stages(const SourceFile& source, Experiment& experiment, Diagnostics& diagnostics) {
  const toml::node* stages = source.document.get("stage");
  if (!stages) return;
  const toml::array* array = stages->as_array();
  if (!array || !array->is_homogeneous(toml::node_type::table)) {
    diagnostics.error(position_of(stages->source(), source.path), "'stage' must be written as [[stage]] tables");
    return;
  }
  for (const auto& item : *array) {
    const toml::table& table = *item.as_table();
    StageSpec stage = parse_stage(table, source.path, diagnostics);
    if (const toml::node* sweep = table.get("sweep")) {
      for (auto& expanded : expand_sweep(stage, sweep_points(*sweep, source.path, diagnostics), diagnostics))
        add_stage(std::move(expanded), experiment, diagnostics);
    } else {
      add_stage(std::move(stage), experiment, diagnostics);
    }
  }
}

void check_top_level_keys(const SourceFile& source, Diagnostics& diagnostics) {
  static const std::vector<std::string> kTopLevel = {"include", "experiment", "metrics", "stage"};
  for (auto&& [key, node] : source.document) {
    const std::string name(key.str());
    if (std::find(kTopLevel.begin(), kTopLevel.end(), name) != kTopLevel.end()) continue;
    std::string message = "unknown top-level key '" + name + "'";
    if (auto suggestion = nearest_word(name, kTopLevel)) message += "; did you mean '" + *suggestion + "'?";
    else message += "; expected include, [experiment], [metrics] or [[stage]]";
    diagnostics.error(position_of(key.source(), source.path), message);
  }
}

// The include list of a file: paths relative to the file's own folder.
std::vector<Located<std::string>> includes_of(const SourceFile& source, Diagnostics& diagnostics) {
  std::vector<Located<std::string>> includes;
  const toml::node* node = source.document.get("include");
  if (!node) return includes;
  const toml::array* array = node->as_array();
  if (!array || !(array->empty() || array->is_homogeneous(toml::node_type::string))) {
    diagnostics.error(position_of(node->source(), source.path), "'include' must be a list of experiment files");
    return includes;
  }
  const fs::path folder = fs::path(source.path).parent_path();
  for (const auto& item : *array)
    includes.push_back({(folder / item.as_string()->get()).lexically_normal().string(),
                        position_of(item.source(), source.path)});
  return includes;
}

// Loads `path` after the files it includes, depth first, each file once;
// `chain` is the include path that led here, for reporting cycles.
void load_file(const Located<std::string>& path, std::vector<std::string>& chain, std::set<std::string>& loaded,
               std::vector<SourceFile>& files, Diagnostics& diagnostics) {
  std::error_code error;
  const std::string identity = fs::weakly_canonical(path.value, error).string();
  if (std::find(chain.begin(), chain.end(), identity) != chain.end()) {
    diagnostics.error(path.position, "include cycle: " + path.value + " includes itself, directly or through others");
    return;
  }
  if (!loaded.insert(identity).second) return;
  SourceFile source{path.value, {}, chain.empty()};
  try {
    source.document = toml::parse_file(path.value);
  } catch (const toml::parse_error& e) {
    const std::string what(e.description());
    if (e.source().begin.line == 0 && !chain.empty())
      diagnostics.error(path.position, "cannot read included file " + path.value + ": " + what);
    else
      diagnostics.error(position_of(e.source(), path.value), "invalid TOML: " + what);
    return;
  } catch (const std::exception& e) {
    diagnostics.error(path.position, "cannot read " + path.value + ": " + e.what());
    return;
  }
  chain.push_back(identity);
  for (const auto& include : includes_of(source, diagnostics)) load_file(include, chain, loaded, files, diagnostics);
  chain.pop_back();
  files.push_back(std::move(source));
}

// A table's options over every file: an including file's keys replace its
// includes' (all but `name`, which is the main file's own).
RawOptions merged_table(const std::vector<SourceFile>& files, const char* table_name, SourcePosition& position,
                        Diagnostics& diagnostics) {
  RawOptions merged;
  for (const auto& source : files) {
    const toml::node* node = source.document.get(table_name);
    if (!node) continue;
    const toml::table* table = node->as_table();
    if (!table) {
      diagnostics.error(position_of(node->source(), source.path), std::string("'") + table_name + "' must be a table");
      continue;
    }
    if (source.is_main || position.line == 0) position = position_of(node->source(), source.path);
    for (auto& [key, value] : raw_options(*table, source.path, diagnostics))
      if (source.is_main || key != "name") merged.insert_or_assign(key, std::move(value));
  }
  return merged;
}

void apply_experiment_table(const Options& options, const RawOptions& raw, const SourcePosition& position,
                            Experiment& experiment) {
  std::string name = options.get_string("name");
  if (name.empty()) name = experiment.file.stem().string();
  experiment.name = located(raw, "name", name, position);
  std::string run_dir = options.get_string("run_dir");
  if (run_dir.empty()) run_dir = "runs/" + name;
  experiment.run_dir = located(raw, "run_dir", run_dir, position);
  experiment.seed = static_cast<std::uint64_t>(options.get_int("seed"));
  experiment.device = options.get_string("device");
  experiment.collective_timeout_seconds = options.get_float("collective_timeout");
  experiment.plugin_paths = located(raw, "plugin_paths", options.get_strings("plugin_paths"), position);
}

void apply_metrics_table(const Options& options, const RawOptions& raw, const SourcePosition& position,
                         Experiment& experiment) {
  experiment.metrics_address = options.get_string("address");
  experiment.metrics_port = located(raw, "port", options.get_int("port"), position);
}

}  // namespace

absl::StatusOr<Experiment> read_experiment(const std::filesystem::path& file) {
  const std::string path = file.string();
  Diagnostics diagnostics;
  std::vector<SourceFile> files;
  {
    std::vector<std::string> chain;
    std::set<std::string> loaded;
    load_file({path, {path, 0, 0}}, chain, loaded, files, diagnostics);
  }
  if (!diagnostics.ok()) return diagnostics.status();
  for (const auto& source : files) check_top_level_keys(source, diagnostics);

  Experiment experiment;
  experiment.file = file;
  SourcePosition experiment_position{path, 0, 0}, metrics_position{path, 0, 0};
  const RawOptions experiment_raw = merged_table(files, "experiment", experiment_position, diagnostics);
  const Options experiment_options =
      validate_options(experiment_raw, experiment_schema(), experiment_position, "[experiment]", diagnostics);
  const RawOptions metrics_raw = merged_table(files, "metrics", metrics_position, diagnostics);
  const Options metrics_options =
      validate_options(metrics_raw, metrics_schema(), metrics_position, "[metrics]", diagnostics);
  if (!diagnostics.ok()) return diagnostics.status();

  apply_experiment_table(experiment_options, experiment_raw, experiment_position, experiment);
  apply_metrics_table(metrics_options, metrics_raw, metrics_position, experiment);
  for (const auto& source : files) read_stages(source, experiment, diagnostics);
  if (experiment.stages.empty() && diagnostics.ok())
    diagnostics.error({path, 0, 0}, "no [[stage]] tables: an experiment needs at least one stage");

  if (!diagnostics.ok()) return diagnostics.status();
  return experiment;
}

}  // namespace dictlab::host

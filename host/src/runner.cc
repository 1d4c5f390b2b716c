#include "runner.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "dictlab/atomic_file.h"
#include "dictlab/errors.h"
#include "hook_validation.h"
#include "manifest.h"
#include "metrics_merge.h"
#include "metrics_registry.h"
#include "metrics_server.h"
#include "nearest_word.h"
#include "option_validation.h"
#include "run_directory.h"
#include "run_plan.h"
#include "stage_context.h"
#include "stage_driver.h"
#include "stop_signal.h"

namespace dictlab::host {
namespace {

constexpr const char* kStates[] = {"pending", "running", "skipped", "done", "failed", "stopped"};

// dictlab_stage_state{state="..."} is 1 for the stage's current state and 0
// for the others, so a dashboard can show it as a state timeline.
class StageStateGauge {
 public:
  StageStateGauge(MetricsRegistry& registry, const MetricLabels& labels) {
    for (const char* state : kStates) {
      MetricLabels with_state = labels;
      with_state["state"] = state;
      gauges_[state] = &registry.gauge("stage_state", "1 for the stage's current state.", with_state);
    }
    set("pending");
  }
  void set(const std::string& state) {
    for (auto& [name, gauge] : gauges_) gauge->set(name == state ? 1.0 : 0.0);
  }

 private:
  std::map<std::string, Gauge*> gauges_;
};

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return buffer;
}

// Starts a stage's folder afresh, or keeps what an interrupted run of the
// same configuration left (its checkpoints), dropping half-written files.
void prepare_stage_dir(const std::filesystem::path& dir, const std::string& digest) {
  if (std::filesystem::exists(dir)) {
    if (read_pending_digest(dir) != digest) {
      std::filesystem::remove_all(dir);
    } else {
      std::filesystem::remove(dir / kManifestFile);
      for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
        if (entry.path().filename().string().find(".tmp-") != std::string::npos)
          std::filesystem::remove(entry.path());
    }
  }
  std::filesystem::create_directories(dir);
  write_pending_digest(dir, digest);
}

// The plugin instance shares ownership of its library, so the library stays
// loaded for as long as the consumer holds the pointer.
std::shared_ptr<Plugin> open_plugin(const PluginRegistry& registry, const StageInput& input) {
  const LoadedPlugin* plugin = registry.find(input.plugin);
  if (!plugin) throw PluginError("plugin " + input.plugin + " of stage " + input.stage + " is not loaded");
  auto instance = plugin->instantiate();
  if (!instance.ok()) throw PluginError(std::string(instance.status().message()));
  auto holder = std::make_shared<PluginInstance>(std::move(*instance));
  return std::shared_ptr<Plugin>(holder, &holder->get());
}

// A few lines for the terminal from a stage's manifest summary.
std::string describe_summary(const std::string& summary_json) {
  const auto summary = nlohmann::json::parse(summary_json);
  std::ostringstream text;
  if (summary.contains("documents")) {
    text << "  " << summary["documents"].get<std::int64_t>() << " documents, " << summary["bytes"].get<std::int64_t>()
         << " bytes, from " << summary["sources"].size() << " source(s)\n";
  }
  if (summary.contains("figures")) {
    // A histogram's many series belong in report.json, not on the terminal.
    std::map<std::string, int> shown;
    for (const auto& figure : summary["figures"]) {
      if (++shown[figure["name"].get<std::string>()] > 12) continue;
      text << "  " << figure["name"].get<std::string>();
      if (!figure["labels"].empty()) {
        std::string labels;
        for (const auto& [key, value] : figure["labels"].items())
          labels += (labels.empty() ? "" : ",") + key + "=" + value.get<std::string>();
        text << "{" << labels << "}";
      }
      text << " = " << figure["value"].get<double>() << "\n";
    }
    for (const auto& [name, count] : shown)
      if (count > 12) text << "  " << name << ": " << count - 12 << " more series in report.json\n";
  }
  return text.str();
}

// Where an OptionError's key was written, for file:line:col messages.
SourcePosition position_of_key(const StageSpec& spec, const std::string& key) {
  auto it = spec.options.find(key);
  return it == spec.options.end() ? spec.position : it->second.position;
}

std::string read_file_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw PluginError("cannot read " + file.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every stage's last figures (those skipped this time too), then this run's,
// into metrics.prom when the run ends, however it ends.
struct FinalMetricsWriter {
  MetricsRegistry& metrics;
  std::filesystem::path file;
  ~FinalMetricsWriter() {
    try {
      std::vector<std::string> texts;
      std::error_code error;
      for (const auto& entry : std::filesystem::directory_iterator(file.parent_path() / "stages", error))
        if (std::ifstream in(entry.path() / kStageMetricsFile); in)
          texts.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      texts.push_back(metrics.serialize());
      AtomicFile::write_all(file, merge_expositions(texts));
    } catch (...) {
    }
  }
};

// One run of an experiment's stages, in order.
struct StageRun {
  const Experiment& experiment;
  const PluginRegistry& registry;
  const RunFlags& flags;
  const RunDirectory& run_dir;
  MetricsRegistry& metrics;
  std::ostream& out;
  std::vector<std::unique_ptr<StageStateGauge>> states;
  std::map<std::string, std::string> output_digests;  // stage -> digest of its artifacts

  absl::Status stage(const std::vector<ValidatedStage>& stages, std::size_t i) {
    const ValidatedStage& stage = stages[i];
    const std::string& stage_name = stage.spec->name.value;
    const std::filesystem::path dir = run_dir.stage_dir(stage_name);
    std::vector<std::string> input_digests;
    std::vector<StageInput> inputs;
    for (const auto& input : stage.spec->inputs.value) {
      input_digests.push_back(output_digests.at(input));
      const auto input_stage = std::find_if(stages.begin(), stages.end(),
                                            [&](const ValidatedStage& s) { return s.spec->name.value == input; });
      inputs.push_back({input, input_stage->plugin->descriptor.name, input_stage->plugin->descriptor.kind,
                        run_dir.stage_dir(input)});
    }
    const std::string digest = config_digest(stage, experiment, input_digests);
    if (std::find(flags.force.begin(), flags.force.end(), stage_name) != flags.force.end())
      std::filesystem::remove_all(dir);
    if (auto manifest = read_manifest(dir); manifest && manifest->config_digest == digest) {
      if (manifest->inputs != stage.spec->inputs.value) {  // manifests written before they named their inputs
        manifest->inputs = stage.spec->inputs.value;
        write_manifest(dir, *manifest);
      }
      output_digests[stage_name] = manifest->output_digest;
      states[i]->set("skipped");
      out << "stage " << stage_name << " (" << stage.plugin->descriptor.name << "): up to date, skipped\n";
      return absl::OkStatus();
    }
    prepare_stage_dir(dir, digest);
    return execute(stage, *states[i], dir, digest, inputs);
  }

  absl::Status execute(const ValidatedStage& stage, StageStateGauge& state, const std::filesystem::path& dir,
                       const std::string& digest, const std::vector<StageInput>& inputs) {
    const std::string& stage_name = stage.spec->name.value;
    const PluginDescriptor& descriptor = stage.plugin->descriptor;
    const std::string& name = experiment.name.value;
    StageContext context({name, stage_name, dir, inputs, stage.options, experiment.device,
                          stage.spec->seed.value_or(experiment.seed),
                          [this](const StageInput& input) { return open_plugin(registry, input); }},
                         metrics, descriptor.name);
    Gauge& duration = metrics.gauge("stage_duration_seconds", "Wall time of the stage's last run.",
                                    {{"experiment", name}, {"stage", stage_name}, {"plugin", descriptor.name}});
    state.set("running");
    out << "stage " << stage_name << " (" << descriptor.name << "): running\n" << std::flush;
    const auto started = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(); };

    std::string failure;
    std::string summary;
    try {
      auto instance = stage.plugin->instantiate();
      if (!instance.ok()) throw PluginError(std::string(instance.status().message()));
      summary = drive_stage(instance->get(), descriptor, context);
    } catch (const StageStopped&) {
      duration.set(elapsed());
      state.set("stopped");
      return absl::CancelledError("stopped during stage '" + stage_name + "'; run again to resume it");
    } catch (const OptionError& error) {
      failure = position_of_key(*stage.spec, error.key()).prefix() + "key '" + error.key() + "': " + error.what();
    } catch (const std::exception& error) {
      failure = error.what();
    }
    duration.set(elapsed());
    if (!failure.empty()) {
      state.set("failed");
      return absl::AbortedError("stage '" + stage_name + "' (plugin " + descriptor.name + ") failed: " + failure +
                                "\nearlier stages' artifacts are kept; fix the cause and run again");
    }

    StageManifest manifest{stage_name, descriptor.name, descriptor.version, digest, digest_outputs(dir),
                           elapsed(), utc_now(), summary, stage.spec->inputs.value};
    write_manifest(dir, manifest);
    std::filesystem::remove(dir / kPendingFile);
    output_digests[stage_name] = manifest.output_digest;
    state.set("done");
    AtomicFile::write_all(dir / kStageMetricsFile, series_of_stage(metrics.serialize(), stage_name));
    out << "stage " << stage_name << " (" << descriptor.name << "): done in "
        << absl::StrFormat("%.2f", manifest.duration_seconds) << " s\n"
        << describe_summary(summary);
    return absl::OkStatus();
  }
};

}  // namespace

absl::StatusOr<std::vector<ValidatedStage>> validate_stages(const Experiment& experiment,
                                                            const PluginRegistry& registry) {
  Diagnostics diagnostics;
  std::vector<ValidatedStage> stages;
  std::vector<std::string> known;
  for (const auto& plugin : registry.plugins()) known.push_back(plugin.descriptor.name);
  for (const auto& spec : experiment.stages) {
    const LoadedPlugin* plugin = registry.find(spec.plugin.value);
    if (!plugin) {
      std::string message = "unknown plugin '" + spec.plugin.value + "' in stage '" + spec.name.value + "'";
      if (auto suggestion = nearest_word(spec.plugin.value, known)) message += "; did you mean '" + *suggestion + "'?";
      diagnostics.error(spec.plugin.position, message + "\n  " + registry.describe_known());
      continue;
    }
    const std::string table = "[[stage]] '" + spec.name.value + "' (plugin " + plugin->descriptor.name + ")";
    Options options = validate_options(spec.options, plugin->descriptor.options, spec.position, table, diagnostics);
    stages.push_back({&spec, plugin, std::move(options)});
  }
  if (diagnostics.ok()) check_hook_options(stages, diagnostics);
  if (!diagnostics.ok()) return diagnostics.status();
  return stages;
}

absl::Status run_experiment(const Experiment& experiment, const PluginRegistry& registry, const RunFlags& flags,
                            std::ostream& out) {
  auto stages = validate_stages(experiment, registry);
  if (!stages.ok()) return stages.status();
  for (const auto& name : flags.force) {
    bool found = false;
    for (const auto& stage : *stages) found = found || stage.spec->name.value == name;
    if (!found) return absl::InvalidArgumentError("--force " + name + ": no such stage in " + experiment.file.string());
  }

  const std::string run_dir_path = flags.run_dir.value_or(experiment.run_dir.value);
  auto run_dir = RunDirectory::open(run_dir_path);
  if (!run_dir.ok()) {
    const SourcePosition where = flags.run_dir ? SourcePosition{"--run-dir"} : experiment.run_dir.position;
    return absl::Status(run_dir.status().code(), where.prefix() + std::string(run_dir.status().message()));
  }
  if (auto plan = check_run_plan(*stages, experiment, *run_dir, flags.force); !plan.ok()) return plan;
  AtomicFile::write_all(run_dir->root() / "experiment.toml", read_file_text(experiment.file));

  MetricsRegistry metrics;
  StageRun run{experiment, registry, flags, *run_dir, metrics, out, {}, {}};
  for (const auto& stage : *stages)
    run.states.push_back(std::make_unique<StageStateGauge>(
        metrics, MetricLabels{{"experiment", experiment.name.value},
                              {"stage", stage.spec->name.value},
                              {"plugin", stage.plugin->descriptor.name}}));

  std::unique_ptr<MetricsServer> server;
  const int port = flags.metrics_port.value_or(static_cast<int>(experiment.metrics_port.value));
  if (port > 0) {
    auto started = MetricsServer::start(metrics, experiment.metrics_address, port);
    if (!started.ok()) return started.status();
    server = std::move(*started);
    out << "metrics: http://" << experiment.metrics_address << ":" << server->port() << "/metrics\n";
  }

  // Whatever happens below, leave the final figures for Prometheus backfill.
  const FinalMetricsWriter write_final_metrics{metrics, run_dir->root() / "metrics.prom"};
  for (std::size_t i = 0; i < stages->size(); ++i)
    if (auto status = run.stage(*stages, i); !status.ok()) return status;
  return absl::OkStatus();
}

}  // namespace dictlab::host

#include "runner.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <unistd.h>

#include <nlohmann/json.hpp>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "dictlab/sha256.h"
#include "dictlab/atomic_file.h"
#include "dictlab/errors.h"
#include "hook_validation.h"
#include "launch_environment.h"
#include "manifest.h"
#include "metrics_merge.h"
#include "metrics_registry.h"
#include "metrics_server.h"
#include "nearest_word.h"
#include "one_pass_groups.h"
#include "option_validation.h"
#include "rank_group.h"
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

// A stage trained in another stage's pass (their one_pass group), and where
// it writes on this rank.
struct PassSeat {
  const ValidatedStage* stage;
  StageStateGauge* state;
  std::filesystem::path dir;
  std::string digest;  // rank 0's, for its manifest
};

std::string names_of(const std::vector<PassSeat>& seats) {
  std::vector<std::string> names;
  for (const PassSeat& seat : seats) names.push_back(seat.stage->spec->name.value);
  return absl::StrJoin(names, ",");
}

// One run of an experiment's stages, in order.
struct StageRun {
  const Experiment& experiment;
  const PluginRegistry& registry;
  const RunFlags& flags;
  std::filesystem::path root;  // the run directory, once rank 0 opened it
  MetricsRegistry& metrics;
  std::ostream& out;
  RankGroup& ranks;
  std::vector<std::unique_ptr<StageStateGauge>> states;
  std::map<std::string, std::string> output_digests;  // stage -> digest of its artifacts
  std::set<std::string> trained_in_pass;               // finished in an earlier stage's pass this run

  std::filesystem::path stage_dir(const std::string& stage) const { return root / "stages" / stage; }
  static std::string key(const std::string& stage, const char* event) { return "stage/" + stage + "/" + event; }

  std::vector<StageInput> inputs_of(const std::vector<ValidatedStage>& stages, const ValidatedStage& stage) const {
    std::vector<StageInput> inputs;
    for (const auto& input : stage.spec->inputs.value) {
      const auto input_stage = std::find_if(stages.begin(), stages.end(),
                                            [&](const ValidatedStage& s) { return s.spec->name.value == input; });
      inputs.push_back({input, input_stage->plugin->descriptor.name, input_stage->plugin->descriptor.kind,
                        stage_dir(input)});
    }
    return inputs;
  }

  std::string digest_of(const ValidatedStage& stage) const {
    std::vector<std::string> input_digests;
    for (const auto& input : stage.spec->inputs.value) input_digests.push_back(output_digests.at(input));
    return config_digest(stage, experiment, input_digests);
  }

  // Whether the stage's manifest records `digest` (a stage named by --force
  // is removed first); keeps its output digest for the stages that read it.
  bool up_to_date(const ValidatedStage& stage, const std::string& digest) {
    const std::string& stage_name = stage.spec->name.value;
    const std::filesystem::path dir = stage_dir(stage_name);
    if (std::find(flags.force.begin(), flags.force.end(), stage_name) != flags.force.end())
      std::filesystem::remove_all(dir);
    auto manifest = read_manifest(dir);
    if (!manifest || manifest->config_digest != digest) return false;
    if (manifest->inputs != stage.spec->inputs.value) {  // manifests written before they named their inputs
      manifest->inputs = stage.spec->inputs.value;
      write_manifest(dir, *manifest);
    }
    output_digests[stage_name] = manifest->output_digest;
    return true;
  }

  // The later stages of stage i's one_pass group that are not up to date,
  // their folders prepared: stage i's plugin trains them in its pass.
  std::vector<PassSeat> pass_seats(const std::vector<ValidatedStage>& stages, std::size_t i) {
    std::vector<PassSeat> seats;
    for (std::size_t j : later_in_pass(stages, i)) {
      const std::string digest = digest_of(stages[j]);
      if (up_to_date(stages[j], digest)) continue;
      const std::filesystem::path dir = stage_dir(stages[j].spec->name.value);
      prepare_stage_dir(dir, digest);
      seats.push_back({&stages[j], states[j].get(), dir, digest});
    }
    return seats;
  }

  // Rank 0 (or the only rank): decides whether the stage runs, runs it, and
  // tells the other ranks both.
  absl::Status stage(const std::vector<ValidatedStage>& stages, std::size_t i) {
    const ValidatedStage& stage = stages[i];
    const std::string& stage_name = stage.spec->name.value;
    if (trained_in_pass.contains(stage_name)) {
      ranks.publish(key(stage_name, "begin"), "trained in pass");
      ranks.publish(key(stage_name, "end"), "done");
      return absl::OkStatus();
    }
    const std::string digest = digest_of(stage);
    if (up_to_date(stage, digest)) {
      ranks.publish(key(stage_name, "begin"), "skip");
      states[i]->set("skipped");
      out << "stage " << stage_name << " (" << stage.plugin->descriptor.name << "): up to date, skipped\n";
      return absl::OkStatus();
    }
    prepare_stage_dir(stage_dir(stage_name), digest);
    const std::vector<PassSeat> seats = pass_seats(stages, i);
    ranks.publish(key(stage_name, "pass"), "with:" + names_of(seats));
    ranks.publish(key(stage_name, "begin"), "run");
    const absl::Status status = execute(stage, *states[i], digest, inputs_of(stages, stage), seats);
    ranks.publish(key(stage_name, "end"), status.ok()                                  ? "done"
                                          : status.code() == absl::StatusCode::kCancelled ? "stopped"
                                                                                          : "failed");
    return status;
  }

  // Any other rank: runs a data-parallel stage (and the stages of its pass)
  // beside rank 0, writing into a scratch folder that is thrown away (its
  // checkpoints are rank 0's to write and everyone's to read), and ends as
  // rank 0's run of it ends.
  absl::Status follow(const std::vector<ValidatedStage>& stages, std::size_t i) {
    const ValidatedStage& stage = stages[i];
    const std::string& stage_name = stage.spec->name.value;
    const std::string begin = ranks.await(key(stage_name, "begin"));
    if (begin == "skip") {
      states[i]->set("skipped");
      return absl::OkStatus();
    }
    if (begin == "run" && stage.plugin->descriptor.data_parallel) {
      const std::filesystem::path scratch = std::filesystem::temp_directory_path() /
                                            ("dictlab-rank" + std::to_string(ranks.rank()) + "-" +
                                             std::to_string(::getpid()));
      std::vector<PassSeat> seats;
      const std::string pass = ranks.await(key(stage_name, "pass")).substr(std::string("with:").size());
      for (const std::string& name : std::vector<std::string>(absl::StrSplit(pass, ',', absl::SkipEmpty())))
        for (std::size_t j : later_in_pass(stages, i))
          if (stages[j].spec->name.value == name) seats.push_back({&stages[j], states[j].get(), scratch / name, {}});
      for (const PassSeat& seat : seats) std::filesystem::create_directories(seat.dir);
      std::filesystem::create_directories(scratch / stage_name);
      auto summary = run_plugin(stage, *states[i], scratch / stage_name, inputs_of(stages, stage), seats);
      std::filesystem::remove_all(scratch);
      if (!summary.ok()) return summary.status();
    }
    const std::string end = ranks.await(key(stage_name, "end"));
    states[i]->set(end);
    if (end == "done") return absl::OkStatus();
    if (end == "stopped") return absl::CancelledError("rank 0 stopped during stage '" + stage_name + "'");
    return absl::AbortedError("stage '" + stage_name + "' failed on rank 0 (rank 0's output says why)");
  }

  StageContextParts parts_of(const ValidatedStage& stage, const std::filesystem::path& dir,
                             const std::vector<StageInput>& inputs, bool parallel) {
    const std::string& stage_name = stage.spec->name.value;
    return {experiment.name.value, stage_name, dir, inputs, stage.options,
            device_of_rank(experiment.device, flags.local_rank),
            stage.spec->seed.value_or(experiment.seed),
            [this](const StageInput& input) { return open_plugin(registry, input); },
            stage_dir(stage_name) / kCheckpointDir, ranks.rank(), parallel ? &ranks : nullptr};
  }

  // The plugin, on this rank, training `seats` in the same pass; its summary
  // for the manifest.
  absl::StatusOr<std::string> run_plugin(const ValidatedStage& stage, StageStateGauge& state,
                                         const std::filesystem::path& dir, const std::vector<StageInput>& inputs,
                                         const std::vector<PassSeat>& seats) {
    const std::string& stage_name = stage.spec->name.value;
    const PluginDescriptor& descriptor = stage.plugin->descriptor;
    const bool parallel = descriptor.data_parallel && ranks.world_size() > 1;
    StageContext context(parts_of(stage, dir, inputs, parallel), metrics, descriptor.name);
    std::vector<std::unique_ptr<StageContext>> member_contexts;
    std::vector<PassMember> members;
    for (const PassSeat& seat : seats) {
      const std::string& plugin = seat.stage->plugin->descriptor.name;
      member_contexts.push_back(
          std::make_unique<StageContext>(parts_of(*seat.stage, seat.dir, inputs, parallel), metrics, plugin));
      members.push_back({plugin, member_contexts.back().get()});
    }
    context.set_pass_members(std::move(members));
    const auto set_states = [&](const char* name) {
      state.set(name);
      for (const PassSeat& seat : seats) seat.state->set(name);
    };
    set_states("running");
    out << "stage " << stage_name << " (" << descriptor.name << "): running";
    if (parallel) out << " on " << ranks.world_size() << " ranks";
    if (!seats.empty()) out << ", training " << names_of(seats) << " in the same pass";
    out << "\n" << std::flush;
    std::string failure;
    try {
      auto instance = stage.plugin->instantiate();
      if (!instance.ok()) throw PluginError(std::string(instance.status().message()));
      return drive_stage(instance->get(), descriptor, context);
    } catch (const StageStopped&) {
      set_states("stopped");
      return absl::CancelledError("stopped during stage '" + stage_name + "'; run again to resume it");
    } catch (const OptionError& error) {
      failure = position_of_key(*stage.spec, error.key()).prefix() + "key '" + error.key() + "': " + error.what();
    } catch (const std::exception& error) {
      failure = error.what();
    }
    set_states("failed");
    return absl::AbortedError("stage '" + stage_name + "' (plugin " + descriptor.name + ") failed: " + failure +
                              "\nearlier stages' artifacts are kept; fix the cause and run again");
  }

  absl::Status execute(const ValidatedStage& stage, StageStateGauge& state, const std::string& digest,
                       const std::vector<StageInput>& inputs, const std::vector<PassSeat>& seats) {
    const auto started = std::chrono::steady_clock::now();
    const auto summary = run_plugin(stage, state, stage_dir(stage.spec->name.value), inputs, seats);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (!summary.ok()) {
      duration_gauge(stage).set(seconds);
      return summary.status();
    }
    finish(stage, state, digest, *summary, seconds);
    // A pass trains dictionaries, whose summary is empty (drive_stage).
    for (const PassSeat& seat : seats) {
      finish(*seat.stage, *seat.state, seat.digest, "{}", seconds);
      trained_in_pass.insert(seat.stage->spec->name.value);
    }
    return absl::OkStatus();
  }

  Gauge& duration_gauge(const ValidatedStage& stage) {
    return metrics.gauge("stage_duration_seconds", "Wall time of the stage's last run.",
                         {{"experiment", experiment.name.value},
                          {"stage", stage.spec->name.value},
                          {"plugin", stage.plugin->descriptor.name}});
  }

  // The manifest that marks the stage finished, and its figures.
  void finish(const ValidatedStage& stage, StageStateGauge& state, const std::string& digest,
              const std::string& summary, double seconds) {
    const std::string& stage_name = stage.spec->name.value;
    const PluginDescriptor& descriptor = stage.plugin->descriptor;
    const std::filesystem::path dir = stage_dir(stage_name);
    duration_gauge(stage).set(seconds);
    StageManifest manifest{stage_name, descriptor.name, descriptor.version, digest, digest_outputs(dir),
                           seconds, utc_now(), summary, stage.spec->inputs.value};
    write_manifest(dir, manifest);
    std::filesystem::remove(dir / kPendingFile);
    output_digests[stage_name] = manifest.output_digest;
    state.set("done");
    AtomicFile::write_all(dir / kStageMetricsFile, series_of_stage(metrics.serialize(), stage_name));
    out << "stage " << stage_name << " (" << descriptor.name << "): done in "
        << absl::StrFormat("%.2f", manifest.duration_seconds) << " s\n"
        << describe_summary(summary);
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
  if (diagnostics.ok()) check_one_pass_groups(stages, experiment, diagnostics);
  if (!diagnostics.ok()) return diagnostics.status();
  return stages;
}

namespace {

// Every rank must run the same stages with the same options, or their
// collectives would pair up different work.
absl::Status check_same_experiment(const std::vector<ValidatedStage>& stages, const Experiment& experiment,
                                   RankGroup& ranks) {
  if (ranks.world_size() == 1) return absl::OkStatus();
  std::string text;
  for (const auto& stage : stages)
    text += stage.spec->name.value + "=" + config_digest(stage, experiment, {}) +
            (stage.spec->one_pass ? " in one pass " + stage.spec->one_pass->value : "") + "\n";
  const std::string digest = Sha256::of(text);
  const auto digests = ranks.exchange("experiment", digest);
  std::vector<std::string> different;
  for (std::size_t r = 1; r < digests.size(); ++r)
    if (digests[r] != digests[0]) different.push_back(std::to_string(r));
  if (different.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError("rank(s) " + absl::StrJoin(different, ", ") + " run an experiment that differs from rank 0's (" +
                                    "stages, plugins or options); every rank must run the same experiment file. "
                                    "This rank's is " + experiment.file.string());
}

absl::Status lead(const Experiment& experiment, const std::vector<ValidatedStage>& stages, StageRun& run,
                  const RunFlags& flags, std::ostream& out) {
  const std::string run_dir_path = flags.run_dir.value_or(experiment.run_dir.value);
  auto run_dir = RunDirectory::open(run_dir_path);
  if (!run_dir.ok()) {
    run.ranks.publish("run", "refused");
    const SourcePosition where = flags.run_dir ? SourcePosition{"--run-dir"} : experiment.run_dir.position;
    return absl::Status(run_dir.status().code(), where.prefix() + std::string(run_dir.status().message()));
  }
  if (auto plan = check_run_plan(stages, experiment, *run_dir, flags.force); !plan.ok()) {
    run.ranks.publish("run", "refused");
    return plan;
  }
  AtomicFile::write_all(run_dir->root() / "experiment.toml", read_file_text(experiment.file));
  run.ranks.publish("run", "open");
  run.root = run_dir->root();

  std::unique_ptr<MetricsServer> server;
  const int port = flags.metrics_port.value_or(static_cast<int>(experiment.metrics_port.value));
  if (port > 0) {
    auto started = MetricsServer::start(run.metrics, experiment.metrics_address, port);
    if (!started.ok()) return started.status();
    server = std::move(*started);
    out << "metrics: http://" << experiment.metrics_address << ":" << server->port() << "/metrics\n";
  }

  // Whatever happens below, leave the final figures for Prometheus backfill.
  const FinalMetricsWriter write_final_metrics{run.metrics, run_dir->root() / "metrics.prom"};
  for (std::size_t i = 0; i < stages.size(); ++i)
    if (auto status = run.stage(stages, i); !status.ok()) return status;
  // Rank 0 serves the store: it stays until every rank has read the end.
  run.ranks.exchange("finished", "ok");
  return absl::OkStatus();
}

absl::Status follow(const Experiment& experiment, const std::vector<ValidatedStage>& stages, StageRun& run,
                    const RunFlags& flags) {
  if (run.ranks.await("run") == "refused")
    return absl::FailedPreconditionError("rank 0 refused the run (its output says why)");
  // The same experiment names the same folder, seen from this rank's
  // working directory (a shared filesystem may be mounted elsewhere).
  run.root = flags.run_dir.value_or(experiment.run_dir.value);
  for (std::size_t i = 0; i < stages.size(); ++i)
    if (auto status = run.follow(stages, i); !status.ok()) return status;
  run.ranks.exchange("finished", "ok");
  return absl::OkStatus();
}

}  // namespace

absl::Status run_experiment(const Experiment& experiment, const PluginRegistry& registry, const RunFlags& flags,
                            std::ostream& out) {
  SingleRank alone;
  return run_experiment(experiment, registry, flags, out, alone);
}

absl::Status run_experiment(const Experiment& experiment, const PluginRegistry& registry, const RunFlags& flags,
                            std::ostream& out, RankGroup& ranks) {
  auto stages = validate_stages(experiment, registry);
  if (!stages.ok()) return stages.status();
  for (const auto& name : flags.force) {
    bool found = false;
    for (const auto& stage : *stages) found = found || stage.spec->name.value == name;
    if (!found) return absl::InvalidArgumentError("--force " + name + ": no such stage in " + experiment.file.string());
  }
  if (auto same = check_same_experiment(*stages, experiment, ranks); !same.ok()) return same;

  MetricsRegistry metrics;
  StageRun run{experiment, registry, flags, {}, metrics, out, ranks, {}, {}};
  for (const auto& stage : *stages)
    run.states.push_back(std::make_unique<StageStateGauge>(
        metrics, MetricLabels{{"experiment", experiment.name.value},
                              {"stage", stage.spec->name.value},
                              {"plugin", stage.plugin->descriptor.name}}));
  return ranks.leader() ? lead(experiment, *stages, run, flags, out) : follow(experiment, *stages, run, flags);
}

}  // namespace dictlab::host

// dictlab: runs TOML experiments made of plugin stages.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "experiment.h"
#include "launch_environment.h"
#include "option_constraints.h"
#include "option_validation.h"
#include "plugin_registry.h"
#include "runner.h"
#include "site_export.h"
#include "site_server.h"
#include "stop_signal.h"
#include "join_ranks.h"

namespace {

using namespace dictlab;
using namespace dictlab::host;

int exit_code(const absl::Status& status) {
  if (status.ok()) return 0;
  std::cerr << "error: " << status.message() << "\n";
  switch (status.code()) {
    case absl::StatusCode::kCancelled: return 130;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kPermissionDenied: return 2;
    default: return 1;
  }
}

// The ranks torchrun, srun or a PyTorchJob started (`env`), joined; or this
// process alone when none did.
absl::StatusOr<std::unique_ptr<RankGroup>> join_launched_ranks(const LaunchEnvironment& env,
                                                               const Experiment& experiment) {
  if (!env.distributed()) return std::make_unique<SingleRank>();
  std::cout << "rank " << env.rank << " of " << env.world_size << " (local rank " << env.local_rank << ", from "
            << env.launcher << "), joining at " << env.master_address << ":" << env.master_port << std::endl;
  const auto timeout = std::chrono::milliseconds(static_cast<std::int64_t>(experiment.collective_timeout_seconds * 1000));
  return join_ranks(env, timeout);
}

void print_plugins(const PluginRegistry& registry) {
  for (const auto& plugin : registry.plugins()) {
    const auto& d = plugin.descriptor;
    std::cout << d.name << " (" << to_string(d.kind) << ", version " << d.version
              << (d.data_parallel ? ", data-parallel" : "")
              << (d.pass_family.empty() ? "" : ", one pass with the " + d.pass_family + " family") << ")\n"
              << "  " << d.summary << "\n  from " << plugin.path.string() << "\n";
    for (const auto& option : d.options) {
      std::cout << "    " << option.name << " (" << to_string(option.type) << ", ";
      if (option.default_value) std::cout << "default " << format_option_value(*option.default_value);
      else std::cout << "required";
      if (const std::string constraints = describe_constraints(option); !constraints.empty())
        std::cout << ", " << constraints;
      std::cout << "): " << option.doc << "\n";
    }
  }
  for (const auto& failure : registry.failures()) std::cout << "not loaded: " << failure.reason << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  // Before any plugin loads libgomp, which reads it once: OpenMP threads that
  // spin between parallel regions starve OpenBLAS' threads on small machines
  // (measured: training 1.4x faster on 2 cores; tests/benchmarks).
  setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0);
  CLI::App app{"dictlab: decompose language models into features with dictionary learning"};
  app.require_subcommand(1);

  std::string experiment_file;
  RunFlags flags;
  int metrics_port = -1;
  std::string run_dir;
  auto* run = app.add_subcommand("run", "Run an experiment; finished stages are skipped, interrupted ones resumed");
  run->add_option("experiment", experiment_file, "Experiment TOML file")->required()->check(CLI::ExistingFile);
  run->add_option("--force", flags.force, "Redo this stage even if it finished (repeatable)");
  run->add_option("--metrics-port", metrics_port, "Serve /metrics on this port (0: off); overrides [metrics] port")
      ->check(CLI::Range(0, 65535));
  run->add_option("--run-dir", run_dir, "Write artifacts here instead of [experiment] run_dir");

  auto* validate = app.add_subcommand("validate", "Check an experiment file against the plugins' schemas");
  validate->add_option("experiment", experiment_file, "Experiment TOML file")->required()->check(CLI::ExistingFile);

  std::vector<std::string> plugin_paths;
  auto* plugins = app.add_subcommand("plugins", "List the plugins found, with their options");
  plugins->add_option("--plugin-path", plugin_paths, "Also search this folder (repeatable)");

  SiteExportOptions site;
  site.site_assets = default_site_assets();
  auto* export_command = app.add_subcommand("export", "Write the feature browser of a run as a static site");
  export_command->add_option("run_dir", site.run_dir, "Run directory")->required()->check(CLI::ExistingDirectory);
  export_command->add_option("--out", site.out, "Site folder to write (default RUN_DIR/site)");
  auto* export_stage =
      export_command->add_option("--stage", site.stage, "The feature_analysis stage (needed if the run has several)");
  export_command->add_flag("--all", site.all,
                           "Every feature_analysis stage, each into OUT/<stage>/, with OUT/index.html listing them "
                           "(links between related features of their dictionaries then work)")
      ->excludes(export_stage);
  export_command->add_option("--shard-size", site.shard_size, "Features per data file")->capture_default_str();
  const char* force_help = "Replace the site folder even if dictlab did not write it (everything in it is lost)";
  export_command->add_flag("--force", site.force, force_help);

  std::string address = "127.0.0.1";
  int port = 8080;
  auto* serve = app.add_subcommand("serve", "Export a run's feature browser and serve it on 127.0.0.1");
  serve->add_option("run_dir", site.run_dir, "Run directory")->required()->check(CLI::ExistingDirectory);
  auto* serve_stage = serve->add_option("--stage", site.stage, "The feature_analysis stage (needed if the run has several)");
  serve->add_flag("--all", site.all, "Every feature_analysis stage (export --all), each at /<stage>/")->excludes(serve_stage);
  serve->add_option("--port", port, "Port (0: any free one)")->capture_default_str()->check(CLI::Range(0, 65535));
  serve->add_option("--address", address, "Address to listen on (loopback unless you mean it)")
      ->capture_default_str();
  serve->add_flag("--force", site.force, force_help);

  CLI11_PARSE(app, argc, argv);

  if (export_command->parsed() || serve->parsed()) {
    if (site.out.empty()) site.out = site.run_dir / "site";
    std::vector<std::string> stages;
    if (site.all) {
      const auto found = find_analysis_stages(site.run_dir);
      if (!found.ok()) return exit_code(found.status());
      stages = *found;
    } else {
      const auto stage = find_analysis_stage(site.run_dir, site.stage);
      if (!stage.ok()) return exit_code(stage.status());
      site.stage = *stage;
      stages = {*stage};
    }
    if (site.site_assets.empty())
      std::cerr << "warning: the site is not built (no site/ next to dictlab); writing data/ only. "
                   "Build it with: npm --prefix host/site ci && npm --prefix host/site run build\n";
    if (const auto status = export_site(site); !status.ok()) return exit_code(status);
    if (export_command->parsed()) {
      std::cout << "wrote " << site.out.string() << " (open it with: dictlab serve " << site.run_dir.string()
                << (site.all ? " --all" : "") << ")\n";
      return 0;
    }
    install_stop_handlers();
    return exit_code(serve_site(site.out, site.run_dir, stages, site.all, address, port, std::cout));
  }

  if (plugins->parsed()) {
    print_plugins(PluginRegistry::discover(default_plugin_search_path(plugin_paths)));
    return 0;
  }

  auto experiment = read_experiment(experiment_file);
  if (!experiment.ok()) return exit_code(experiment.status());
  const PluginRegistry registry =
      PluginRegistry::discover(default_plugin_search_path(experiment->plugin_paths.value));

  if (validate->parsed()) {
    auto stages = validate_stages(*experiment, registry);
    if (!stages.ok()) return exit_code(stages.status());
    std::cout << experiment_file << ": ok, " << stages->size() << " stage(s)\n";
    return 0;
  }

  if (metrics_port >= 0) flags.metrics_port = metrics_port;
  if (!run_dir.empty()) flags.run_dir = run_dir;
  install_stop_handlers();
  try {
    const auto env = read_launch_environment();
    if (!env.ok()) return exit_code(env.status());
    auto ranks = join_launched_ranks(*env, *experiment);
    if (!ranks.ok()) return exit_code(ranks.status());
    if (env->distributed()) flags.local_rank = env->local_rank;
    const int code = exit_code(run_experiment(*experiment, registry, flags, std::cout, **ranks));
    // A failed run of several ranks may leave a peer stopped in the middle of
    // a message (SIGSTOP, a hang): tearing the group down would wait on it for
    // ever. Leave without it; every artifact is already written atomically.
    if (code != 0 && (*ranks)->world_size() > 1) {
      std::cout.flush();
      std::cerr.flush();
      std::_Exit(code);
    }
    return code;
  } catch (const std::exception& error) {
    return exit_code(absl::InternalError(error.what()));
  }
}

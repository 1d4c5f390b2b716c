#include "run_plan.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "dictlab/sha256.h"
#include "manifest.h"
#include "option_validation.h"

namespace dictlab::host {
namespace {

std::string quoted_list(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "'" : ", '") + name + "'";
  return text;
}

// Finished stages of the run directory, outside this experiment, that read any of `stages`.
std::map<std::string, std::vector<std::string>> outside_readers(const RunDirectory& run_dir,
                                                                const std::set<std::string>& in_experiment,
                                                                const std::vector<std::string>& stages) {
  std::map<std::string, std::vector<std::string>> readers;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(run_dir.root() / "stages", error)) {
    const std::string name = entry.path().filename().string();
    if (in_experiment.count(name)) continue;
    const auto manifest = read_manifest(entry.path());
    if (!manifest) continue;
    for (const auto& input : manifest->inputs)
      if (std::find(stages.begin(), stages.end(), input) != stages.end()) readers[input].push_back(name);
  }
  return readers;
}

absl::Status refuse_stale_readers(const std::map<std::string, std::vector<std::string>>& readers,
                                  const Experiment& experiment, const RunDirectory& run_dir) {
  std::ostringstream message;
  message << "nothing was run or deleted: " << experiment.file.string() << " changes the configuration of";
  std::string force;
  for (const auto& [stage, its_readers] : readers) {
    message << "\n  stage '" << stage << "', which finished stages of another experiment in " << run_dir.root().string()
            << " read: " << quoted_list(its_readers);
    force += " --force " + stage;
  }
  message << "\nRedoing it deletes the outputs they were made from. Restore its configuration (an experiment can "
             "`include` the file that defines a shared stage instead of copying it), or redo it anyway with"
          << force;
  return absl::FailedPreconditionError(message.str());
}

}  // namespace

std::string config_digest(const ValidatedStage& stage, const Experiment& experiment,
                          const std::vector<std::string>& input_digests) {
  std::ostringstream text;
  text << "plugin=" << stage.plugin->descriptor.name << "\nversion=" << stage.plugin->descriptor.version
       << "\nseed=" << stage.spec->seed.value_or(experiment.seed) << "\ndevice=" << experiment.device << "\n";
  for (const auto& [key, value] : stage.options.values()) text << "option " << key << "=" << format_option_value(value) << "\n";
  for (std::size_t i = 0; i < input_digests.size(); ++i)
    text << "input " << stage.spec->inputs.value[i] << "=" << input_digests[i] << "\n";
  return Sha256::of(text.str());
}

absl::Status check_run_plan(const std::vector<ValidatedStage>& stages, const Experiment& experiment,
                            const RunDirectory& run_dir, const std::vector<std::string>& force) {
  std::map<std::string, std::string> outputs;  // stages that will be skipped: their output digests
  std::set<std::string> in_experiment;
  std::vector<std::string> changed;             // finished stages whose own configuration changed
  for (const auto& stage : stages) {
    const std::string& name = stage.spec->name.value;
    in_experiment.insert(name);
    const auto dir = run_dir.stage_dir(name);
    if (std::filesystem::exists(dir) && !written_by_dictlab(dir))
      return absl::FailedPreconditionError(
          dir.string() + " holds files dictlab did not write (no manifest.json or pending.json), and running stage '" +
          name + "' would delete them; nothing was run. Move the folder away and run again");
    const auto manifest = read_manifest(dir);
    std::vector<std::string> input_digests;
    for (const auto& input : stage.spec->inputs.value)
      if (const auto it = outputs.find(input); it != outputs.end()) input_digests.push_back(it->second);
    // An input that will be redone makes this stage's digest unknowable now.
    if (!manifest || input_digests.size() != stage.spec->inputs.value.size()) continue;
    // A forced stage is redone as asked, so its readers' digests are unknowable too.
    if (std::find(force.begin(), force.end(), name) != force.end()) continue;
    if (manifest->config_digest == config_digest(stage, experiment, input_digests))
      outputs[name] = manifest->output_digest;
    else
      changed.push_back(name);
  }
  const auto readers = outside_readers(run_dir, in_experiment, changed);
  return readers.empty() ? absl::OkStatus() : refuse_stale_readers(readers, experiment, run_dir);
}

}  // namespace dictlab::host

#include "hook_validation.h"

#include <deque>
#include <set>

#include "dictlab/model.h"

namespace dictlab::host {
namespace {

const ValidatedStage* find_stage(const std::vector<ValidatedStage>& stages, const std::string& name) {
  for (const auto& stage : stages)
    if (stage.spec->name.value == name) return &stage;
  return nullptr;
}

// The nearest model stage upstream of `stage` (breadth first through inputs).
const ValidatedStage* upstream_model(const std::vector<ValidatedStage>& stages, const ValidatedStage& stage) {
  std::deque<const ValidatedStage*> queue{&stage};
  std::set<const ValidatedStage*> seen;
  while (!queue.empty()) {
    const ValidatedStage* current = queue.front();
    queue.pop_front();
    if (!seen.insert(current).second) continue;
    if (current != &stage && current->plugin->descriptor.kind == PluginKind::kModel) return current;
    for (const auto& input : current->spec->inputs.value)
      if (const ValidatedStage* found = find_stage(stages, input)) queue.push_back(found);
  }
  return nullptr;
}

absl::StatusOr<std::vector<HookPoint>> planned_hooks(const ValidatedStage& model_stage) {
  auto instance = model_stage.plugin->instantiate();
  if (!instance.ok()) return instance.status();
  try {
    return static_cast<Model&>(instance->get()).planned_hook_points(model_stage.options);
  } catch (const std::exception& error) {
    return absl::InvalidArgumentError(error.what());
  }
}

}  // namespace

void check_hook_options(const std::vector<ValidatedStage>& stages, Diagnostics& diagnostics) {
  for (const auto& stage : stages) {
    for (const auto& spec : stage.plugin->descriptor.options) {
      if (spec.role != OptionRole::kModelHook) continue;
      const std::string& hook = stage.options.get_string(spec.name);
      const auto written = stage.spec->options.find(spec.name);
      if (hook.empty() || written == stage.spec->options.end()) continue;
      const ValidatedStage* model = upstream_model(stages, stage);
      if (!model) {
        diagnostics.error(written->second.position,
                          "key '" + spec.name + "' names a hook point, but stage '" + stage.spec->name.value +
                              "' reads no model stage through its inputs");
        continue;
      }
      const auto points = planned_hooks(*model);
      if (!points.ok()) {
        diagnostics.error(model->spec->position, "model stage '" + model->spec->name.value +
                                                     "' cannot list its hook points: " +
                                                     std::string(points.status().message()));
        continue;
      }
      try {
        find_hook_point(*points, hook);
      } catch (const PluginError& error) {
        diagnostics.error(written->second.position, "key '" + spec.name + "': " + error.what() + " (model stage '" +
                                                        model->spec->name.value + "')");
      }
    }
  }
}

}  // namespace dictlab::host

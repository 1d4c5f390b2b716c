#include "one_pass_groups.h"

#include <map>
#include <optional>

#include "absl/strings/str_join.h"
#include "option_validation.h"

namespace dictlab::host {
namespace {

std::string shown(const std::optional<OptionValue>& value) {
  return value ? format_option_value(*value) : "not an option of its plugin";
}

const std::string* group_of(const ValidatedStage& stage) {
  return stage.spec->one_pass ? &stage.spec->one_pass->value : nullptr;
}

// What a member must share with the first stage of its group; empty when it does.
std::string mismatch(const ValidatedStage& first, const ValidatedStage& member, const Experiment& experiment) {
  const PluginDescriptor& descriptor = member.plugin->descriptor;
  if (descriptor.pass_family.empty() || descriptor.kind != PluginKind::kDictionary)
    return "plugin " + descriptor.name + " trains one stage at a time (only dictionary learners that declare a "
           "pass_family train in one pass)";
  if (descriptor.pass_family != first.plugin->descriptor.pass_family)
    return "plugin " + descriptor.name + " (family '" + descriptor.pass_family + "') cannot train in one pass with " +
           first.plugin->descriptor.name + " of stage '" + first.spec->name.value + "' (family '" +
           first.plugin->descriptor.pass_family + "')";
  if (member.spec->inputs.value != first.spec->inputs.value)
    return "its inputs [" + absl::StrJoin(member.spec->inputs.value, ", ") + "] differ from stage '" +
           first.spec->name.value + "''s [" + absl::StrJoin(first.spec->inputs.value, ", ") +
           "]: one pass reads the same inputs for every stage";
  if (member.spec->seed.value_or(experiment.seed) != first.spec->seed.value_or(experiment.seed))
    return "its seed differs from stage '" + first.spec->name.value +
           "''s: the seed orders the batches, which one pass shares";
  for (const std::string& key : first.plugin->descriptor.pass_shared_options) {
    const auto value = [&key](const ValidatedStage& stage) -> std::optional<OptionValue> {
      const auto& values = stage.options.values();
      const auto it = values.find(key);
      return it == values.end() ? std::nullopt : std::optional<OptionValue>(it->second);
    };
    if (value(member) != value(first))
      return "its '" + key + "' differs from stage '" + first.spec->name.value + "''s (" + shown(value(member)) +
             " against " + shown(value(first)) + "): the stages of one pass share their batches, which depend on it";
  }
  return {};
}

}  // namespace

std::vector<std::size_t> later_in_pass(const std::vector<ValidatedStage>& stages, std::size_t i) {
  std::vector<std::size_t> later;
  const std::string* group = group_of(stages[i]);
  if (!group) return later;
  for (std::size_t j = i + 1; j < stages.size(); ++j)
    if (const std::string* other = group_of(stages[j]); other && *other == *group) later.push_back(j);
  return later;
}

void check_one_pass_groups(const std::vector<ValidatedStage>& stages, const Experiment& experiment,
                           Diagnostics& diagnostics) {
  std::map<std::string, std::vector<const ValidatedStage*>> groups;
  for (const auto& stage : stages)
    if (const std::string* group = group_of(stage)) groups[*group].push_back(&stage);
  for (const auto& [group, members] : groups) {
    const SourcePosition& first_key = members.front()->spec->one_pass->position;
    if (members.size() == 1)
      diagnostics.error(first_key, "one_pass group '" + group + "' has only stage '" +
                                       members.front()->spec->name.value + "': name the same group in the others");
    for (const ValidatedStage* member : members)
      if (const std::string why = mismatch(*members.front(), *member, experiment); !why.empty())
        diagnostics.error(member->spec->one_pass->position,
                          "stage '" + member->spec->name.value + "' cannot join one_pass group '" + group + "': " + why);
  }
}

}  // namespace dictlab::host

// Every plugin built in this tree declares constraints its own defaults meet,
// on option types they apply to: a default the host would refuse is a plugin
// bug that would otherwise surface only when a user leaves the key out.
#include <gtest/gtest.h>

#include "option_constraints.h"
#include "plugin_registry.h"

namespace dictlab::host {
namespace {

const std::filesystem::path kBuildPlugins = DICTLAB_BUILD_PLUGIN_DIR;

bool is_numeric(OptionType type) {
  return type == OptionType::kInt || type == OptionType::kFloat || type == OptionType::kIntList ||
         type == OptionType::kFloatList;
}

bool is_textual(OptionType type) { return type == OptionType::kString || type == OptionType::kStringList; }

TEST(PluginOptionDefaults, EveryBuiltPluginsDefaultsMeetItsDeclaredConstraints) {
  const auto registry = PluginRegistry::discover({kBuildPlugins});
  for (const auto& failure : registry.failures()) ADD_FAILURE() << failure.reason;
  ASSERT_FALSE(registry.plugins().empty()) << "no plugin built in " << kBuildPlugins;
  int constrained = 0;
  for (const auto& plugin : registry.plugins()) {
    for (const auto& option : plugin.descriptor.options) {
      SCOPED_TRACE(plugin.descriptor.name + " option " + option.name);
      if (option.lower || option.upper) EXPECT_TRUE(is_numeric(option.type)) << "bounds on a non-number";
      if (!option.choices.empty()) EXPECT_TRUE(is_textual(option.type)) << "choices on a non-string";
      if (option.lower || option.upper || !option.choices.empty()) ++constrained;
      if (option.default_value)
        EXPECT_EQ(constraint_violation(*option.default_value, option, plugin.descriptor.name), std::nullopt);
    }
  }
  EXPECT_GT(constrained, 0) << "no built plugin declares a constraint; is this the right folder?";
}

}  // namespace
}  // namespace dictlab::host

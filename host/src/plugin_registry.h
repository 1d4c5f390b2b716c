#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "dictlab/descriptor.h"
#include "dictlab/plugin.h"

namespace boost::dll {
class shared_library;
}

namespace dictlab::host {

// A plugin instance that keeps its shared library loaded for as long as it lives.
class PluginInstance {
 public:
  PluginInstance(std::shared_ptr<boost::dll::shared_library> library, std::unique_ptr<Plugin> plugin);
  ~PluginInstance();
  PluginInstance(PluginInstance&&) = default;
  Plugin& get() { return *plugin_; }

 private:
  std::shared_ptr<boost::dll::shared_library> library_;  // destroyed after plugin_
  std::unique_ptr<Plugin> plugin_;
};

struct LoadedPlugin {
  std::filesystem::path path;
  PluginDescriptor descriptor;
  std::shared_ptr<boost::dll::shared_library> library;
  std::function<std::unique_ptr<Plugin>()> create;

  absl::StatusOr<PluginInstance> instantiate() const;
};

// A file that looked like a plugin but could not be used, and why.
struct PluginLoadFailure {
  std::filesystem::path path;
  std::string reason;
};

class PluginRegistry {
 public:
  // Loads every *.so in the given folders (or the given files), in order; the
  // first plugin of a name wins.
  static PluginRegistry discover(const std::vector<std::filesystem::path>& search_paths);

  // Loads one file; an error says why it is not a usable plugin.
  static absl::StatusOr<LoadedPlugin> load(const std::filesystem::path& file);

  const LoadedPlugin* find(std::string_view name) const;
  const std::vector<LoadedPlugin>& plugins() const { return plugins_; }
  const std::vector<PluginLoadFailure>& failures() const { return failures_; }

  // For "unknown plugin" errors: the known names, and the files that failed.
  std::string describe_known() const;

 private:
  std::vector<LoadedPlugin> plugins_;
  std::vector<PluginLoadFailure> failures_;
};

// The folders searched by default: the experiment's plugin_paths come first,
// then DICTLAB_PLUGIN_PATH (colon-separated), then the plugins installed or
// built next to the dictlab executable.
std::vector<std::filesystem::path> default_plugin_search_path(
    const std::vector<std::string>& experiment_paths);

}  // namespace dictlab::host

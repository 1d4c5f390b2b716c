#include "plugin_registry.h"

#include <dlfcn.h>

#include <algorithm>
#include <boost/dll/shared_library.hpp>
#include <cstdlib>

#include "absl/strings/str_split.h"
#include "dictlab/abi.h"

namespace dictlab::host {

PluginInstance::PluginInstance(std::shared_ptr<boost::dll::shared_library> library,
                               std::unique_ptr<Plugin> plugin)
    : library_(std::move(library)), plugin_(std::move(plugin)) {}

PluginInstance::~PluginInstance() = default;

absl::StatusOr<PluginInstance> LoadedPlugin::instantiate() const {
  try {
    std::unique_ptr<Plugin> plugin = create();
    if (!plugin) return absl::InternalError("plugin " + descriptor.name + " created nothing");
    return PluginInstance(library, std::move(plugin));
  } catch (const std::exception& error) {
    return absl::InternalError("plugin " + descriptor.name + " failed to start: " + error.what());
  }
}

absl::StatusOr<LoadedPlugin> PluginRegistry::load(const std::filesystem::path& file) {
  // dlopen first on our own: Boost.DLL replaces the loader's message (a
  // missing dependency, a wrong architecture) with a generic error code.
  if (void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL)) {
    dlclose(handle);
  } else {
    const char* detail = dlerror();
    return absl::InvalidArgumentError(file.string() + ": cannot load: " + (detail ? detail : "unknown error"));
  }
  auto library = std::make_shared<boost::dll::shared_library>();
  std::error_code error;  // BOOST_DLL_USE_STD_FS
  library->load(boost::dll::fs::path(file.string()),
                boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, error);
  if (error) return absl::InvalidArgumentError(file.string() + ": cannot load: " + error.message());
  if (!library->has("dictlab_plugin_abi_version"))
    return absl::InvalidArgumentError(file.string() +
                                      ": not a dictlab plugin (it exports no dictlab_plugin_abi_version; "
                                      "plugins end with DICTLAB_PLUGIN(...))");
  const int abi = library->get_alias<int()>("dictlab_plugin_abi_version")();
  if (abi != kSdkAbiVersion)
    return absl::FailedPreconditionError(
        file.string() + ": built against dictlab SDK ABI " + std::to_string(abi) + ", but this dictlab speaks ABI " +
        std::to_string(kSdkAbiVersion) + "; rebuild the plugin against this SDK");
  if (!library->has("dictlab_plugin_descriptor") || !library->has("dictlab_plugin_create"))
    return absl::InvalidArgumentError(file.string() + ": incomplete dictlab plugin (missing descriptor or factory)");

  LoadedPlugin plugin;
  plugin.path = file;
  try {
    plugin.descriptor = library->get_alias<PluginDescriptor()>("dictlab_plugin_descriptor")();
  } catch (const std::exception& e) {
    return absl::InternalError(file.string() + ": its descriptor threw: " + e.what());
  }
  if (plugin.descriptor.name.empty())
    return absl::InvalidArgumentError(file.string() + ": plugin descriptor has no name");
  plugin.create = library->get_alias<std::unique_ptr<Plugin>()>("dictlab_plugin_create");
  plugin.library = std::move(library);
  return plugin;
}

PluginRegistry PluginRegistry::discover(const std::vector<std::filesystem::path>& search_paths) {
  PluginRegistry registry;
  auto consider = [&](const std::filesystem::path& file) {
    auto loaded = load(file);
    if (!loaded.ok()) {
      registry.failures_.push_back({file, std::string(loaded.status().message())});
      return;
    }
    if (registry.find(loaded->descriptor.name)) return;  // shadowed by an earlier folder
    registry.plugins_.push_back(std::move(*loaded));
  };
  for (const auto& entry : search_paths) {
    std::error_code error;
    if (std::filesystem::is_regular_file(entry, error)) {
      consider(entry);
      continue;
    }
    if (!std::filesystem::is_directory(entry, error)) continue;
    std::vector<std::filesystem::path> files;
    for (const auto& item : std::filesystem::directory_iterator(entry, error))
      if (item.path().extension() == ".so") files.push_back(item.path());
    std::sort(files.begin(), files.end());  // deterministic precedence
    for (const auto& file : files) consider(file);
  }
  return registry;
}

const LoadedPlugin* PluginRegistry::find(std::string_view name) const {
  for (const auto& plugin : plugins_)
    if (plugin.descriptor.name == name) return &plugin;
  return nullptr;
}

std::string PluginRegistry::describe_known() const {
  std::string text = "known plugins:";
  if (plugins_.empty()) text += " (none)";
  for (const auto& plugin : plugins_) text += " " + plugin.descriptor.name;
  for (const auto& failure : failures_) text += "\n  not loaded: " + failure.reason;
  return text;
}

std::vector<std::filesystem::path> default_plugin_search_path(const std::vector<std::string>& experiment_paths) {
  std::vector<std::filesystem::path> paths(experiment_paths.begin(), experiment_paths.end());
  if (const char* env = std::getenv("DICTLAB_PLUGIN_PATH"))
    for (std::string part : std::vector<std::string>(absl::StrSplit(env, ':', absl::SkipEmpty())))
      paths.emplace_back(part);
  std::error_code error;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    paths.push_back(exe.parent_path() / "plugins");                         // build tree
    paths.push_back(exe.parent_path().parent_path() / "lib/dictlab/plugins");  // installed
  }
  return paths;
}

}  // namespace dictlab::host

#include "join_ranks.h"

#include <dlfcn.h>

#include <filesystem>

namespace dictlab::host {
namespace {

constexpr const char* kModule = "libdictlab_distributed.so";

// Beside the executable in the build tree; lib/dictlab/ once installed.
std::filesystem::path module_path() {
  std::error_code error;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return kModule;
  const std::filesystem::path beside = exe.parent_path() / kModule;
  if (std::filesystem::exists(beside)) return beside;
  return exe.parent_path().parent_path() / "lib/dictlab" / kModule;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RankGroup>> join_ranks(const LaunchEnvironment& env, std::chrono::milliseconds timeout) {
  const std::filesystem::path path = module_path();
  // Local, like a plugin: LibTorch's own libraries (protobuf among them)
  // must not take the place of those other plugins bring.
  void* module = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);  // stays loaded for the process's life
  if (!module)
    return absl::FailedPreconditionError("cannot load " + path.string() + " for a distributed run: " + dlerror());
  using Join = RankGroup* (*)(const LaunchEnvironment&, std::int64_t, std::string&);
  const auto join = reinterpret_cast<Join>(dlsym(module, "dictlab_join_ranks"));
  if (!join) return absl::FailedPreconditionError(path.string() + " has no dictlab_join_ranks");
  std::string error;
  RankGroup* group = join(env, static_cast<std::int64_t>(timeout.count()), error);
  if (!group) return absl::UnavailableError(error);
  return std::unique_ptr<RankGroup>(group);
}

}  // namespace dictlab::host

#include "launch_environment.h"

#include <charconv>
#include <cstdlib>
#include <optional>

namespace dictlab::host {
namespace {

std::optional<std::string> variable(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) return std::nullopt;
  return std::string(value);
}

absl::StatusOr<long> number(const char* name, const std::string& text, long low, long high) {
  long value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < low || value > high)
    return absl::InvalidArgumentError(std::string("environment variable ") + name + "='" + text +
                                      "' must be a whole number from " + std::to_string(low) + " to " +
                                      std::to_string(high));
  return value;
}

}  // namespace

absl::StatusOr<LaunchEnvironment> read_launch_environment() {
  LaunchEnvironment env;
  const bool torchrun = variable("WORLD_SIZE").has_value();
  const bool slurm = !torchrun && variable("SLURM_NTASKS") && variable("MASTER_ADDR");
  if (!torchrun && !slurm) return env;
  const char* world_name = torchrun ? "WORLD_SIZE" : "SLURM_NTASKS";
  const char* rank_name = torchrun ? "RANK" : "SLURM_PROCID";
  const char* local_name = torchrun ? "LOCAL_RANK" : "SLURM_LOCALID";
  env.launcher = torchrun ? "torchrun" : "slurm";

  auto world = number(world_name, *variable(world_name), 1, 1 << 20);
  if (!world.ok()) return world.status();
  env.world_size = static_cast<int>(*world);
  if (env.world_size == 1) return env;
  const auto rank_text = variable(rank_name);
  if (!rank_text)
    return absl::InvalidArgumentError(std::string(world_name) + "=" + std::to_string(env.world_size) + " but " +
                                      rank_name + " is not set: every process needs its rank");
  auto rank = number(rank_name, *rank_text, 0, env.world_size - 1);
  if (!rank.ok()) return rank.status();
  env.rank = static_cast<int>(*rank);
  if (const auto local = variable(local_name)) {
    auto local_rank = number(local_name, *local, 0, env.world_size - 1);
    if (!local_rank.ok()) return local_rank.status();
    env.local_rank = static_cast<int>(*local_rank);
  }
  if (const auto address = variable("MASTER_ADDR")) env.master_address = *address;
  if (const auto port_text = variable("MASTER_PORT")) {
    auto port = number("MASTER_PORT", *port_text, 1, 65535);
    if (!port.ok()) return port.status();
    env.master_port = static_cast<std::uint16_t>(*port);
  }
  return env;
}

std::string device_of_rank(const std::string& device, std::optional<int> local_rank) {
  if (device != "cuda" || !local_rank) return device;
  return "cuda:" + std::to_string(*local_rank);
}

}  // namespace dictlab::host

#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace dictlab::host {

// Where this process sits in a distributed run, as the launcher says:
// torchrun and a Kubernetes PyTorchJob set WORLD_SIZE, RANK, LOCAL_RANK,
// MASTER_ADDR and MASTER_PORT; under srun, SLURM_NTASKS, SLURM_PROCID and
// SLURM_LOCALID stand in for the first three (the batch script exports
// MASTER_ADDR and MASTER_PORT). Nothing set: one process.
struct LaunchEnvironment {
  int world_size = 1;
  int rank = 0;
  int local_rank = 0;
  std::string master_address = "127.0.0.1";
  std::uint16_t master_port = 29500;
  std::string launcher;  // "torchrun" or "slurm": where the ranks came from

  bool distributed() const { return world_size > 1; }
};

// Errors name the variable and what it held.
absl::StatusOr<LaunchEnvironment> read_launch_environment();

// The device a rank trains on: in a run of several ranks a bare "cuda" is
// this rank's own GPU, cuda:LOCAL_RANK, as torchrun and srun start one
// process per GPU; anything else ("cpu", "cuda:N") as written.
std::string device_of_rank(const std::string& device, std::optional<int> local_rank);

}  // namespace dictlab::host

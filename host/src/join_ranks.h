#pragma once

#include <chrono>
#include <memory>

#include "absl/status/statusor.h"
#include "launch_environment.h"
#include "rank_group.h"

namespace dictlab::host {

// Joins the ranks a launcher started, through torch.distributed's c10d: a
// TCPStore that rank 0 serves at MASTER_ADDR:MASTER_PORT, and a Gloo
// process group over it. Every wait is bounded by `timeout`; a rank that
// does not join, dies or hangs makes the others fail within it, naming the
// rank. The implementation lives in libdictlab_distributed.so (beside the
// executable, or in lib/dictlab/ once installed), loaded here on first use.
absl::StatusOr<std::unique_ptr<RankGroup>> join_ranks(const LaunchEnvironment& env,
                                                      std::chrono::milliseconds timeout);

}  // namespace dictlab::host

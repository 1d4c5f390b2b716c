#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <optional>

#include "dictlab/run_context.h"
#include <map>
#include <string>

namespace torch_training {

// Named tensors that make up a training state besides the optimizer's:
// weights, and whatever else a resumed run needs (e.g. feature statistics).
using TensorMap = std::map<std::string, torch::Tensor>;

// step-<N>.pt (named tensors + optimizer state) with step-<N>.json beside it holding the
// file's SHA-256: a checkpoint torn by a crash or corrupted on disk is
// detected and skipped for the one before it. The newest two are kept.
class Checkpoints {
 public:
  Checkpoints(std::filesystem::path dir, dictlab::Logger& log) : dir_(std::move(dir)), log_(log) {}

  // `optimizer` may be null for a state without one (e.g. statistics of a pass over data).
  void save(std::int64_t step, const TensorMap& tensors, torch::optim::Optimizer* optimizer);
  // The step of the newest intact checkpoint, after loading it; nullopt if none.
  // Copies the saved values into `tensors` (same names and shapes).
  std::optional<std::int64_t> restore_latest(TensorMap& tensors, torch::optim::Optimizer* optimizer);

 private:
  std::filesystem::path dir_;
  dictlab::Logger& log_;
};

}  // namespace torch_training

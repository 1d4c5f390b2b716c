#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <optional>

#include "dictlab/run_context.h"
#include "transformer.h"

namespace toy_transformer {

// step-<N>.pt (weights + Adam state) with step-<N>.json beside it holding the
// file's SHA-256: a checkpoint torn by a crash or corrupted on disk is
// detected and skipped for the one before it. The newest two are kept.
class Checkpoints {
 public:
  Checkpoints(std::filesystem::path dir, dictlab::Logger& log) : dir_(std::move(dir)), log_(log) {}

  void save(std::int64_t step, const Transformer& model, torch::optim::Optimizer& optimizer);
  // The step of the newest intact checkpoint, after loading it; nullopt if none.
  std::optional<std::int64_t> restore_latest(Transformer& model, torch::optim::Optimizer& optimizer);

 private:
  std::filesystem::path dir_;
  dictlab::Logger& log_;
};

}  // namespace toy_transformer

#pragma once

#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "dictlab/errors.h"

namespace torch_training {

// The device an experiment asks for, refused clearly when this LibTorch
// cannot reach it (Debian's is built without CUDA).
inline torch::Device checked_device(const std::string& name) {
  const torch::Device device(name);
  if (device.is_cuda() && !torch::cuda::is_available())
    throw dictlab::PluginError("device '" + name + "' asked for, but this LibTorch sees no CUDA device");
  return device;
}

// Stops a run whose loss diverged, saying that the last checkpoint is kept.
inline void check_finite_loss(double loss, std::int64_t step, std::int64_t last_checkpoint) {
  if (std::isfinite(loss)) return;
  throw dictlab::PluginError("the loss became " + std::to_string(loss) + " at step " + std::to_string(step) +
                             "; the last good checkpoint (step " + std::to_string(last_checkpoint) +
                             ") is kept. Lower learning_rate and run again.");
}

}  // namespace torch_training

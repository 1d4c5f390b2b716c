#pragma once

#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "dictlab/hook_points.h"

namespace torch_training {

// One forward pass's business with the hook points: which activations to
// keep and which edits to apply. A model calls at() at every hook point in
// forward order with activations [..., width]; only named hooks cost anything.
class HookRun {
 public:
  HookRun() = default;
  explicit HookRun(const dictlab::HookEdits& edits, std::vector<std::string> captures = {});

  bool empty() const { return edits_.empty() && captures_.empty(); }
  // Edits `activations` in place (through a contiguous float CPU copy when
  // they live elsewhere) and keeps a copy when asked to.
  void at(const std::string& hook, torch::Tensor& activations);
  // The captured activations, [rows, width] float32 each, in the order asked.
  std::vector<std::vector<float>> take_captures();
  // Throws naming a hook that at() never saw, with the nearest of the
  // model's hook points (a typo the model did not know).
  void check_all_seen(const std::vector<dictlab::HookPoint>& points) const;

 private:
  std::map<std::string, std::vector<const dictlab::ActivationEdit*>, std::less<>> edits_;
  std::vector<std::string> captures_;
  std::map<std::string, std::vector<float>, std::less<>> captured_;
  std::map<std::string, bool, std::less<>> seen_;
};

}  // namespace torch_training

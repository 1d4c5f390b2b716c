#include "hook_run.h"

#include "dictlab/errors.h"

namespace torch_training {

HookRun::HookRun(const dictlab::HookEdits& edits, std::vector<std::string> captures)
    : captures_(std::move(captures)) {
  for (const auto& edit : edits) {
    if (!edit.edit) continue;
    edits_[edit.hook].push_back(&edit.edit);
    seen_[edit.hook] = false;
  }
  for (const auto& hook : captures_) seen_[hook] = false;
}

void HookRun::at(const std::string& hook, torch::Tensor& activations) {
  const auto seen = seen_.find(hook);
  if (seen == seen_.end()) return;
  seen->second = true;
  const std::int64_t width = activations.size(-1);
  const std::int64_t rows = activations.numel() / std::max<std::int64_t>(1, width);
  if (const auto edits = edits_.find(hook); edits != edits_.end()) {
    torch::Tensor cpu = activations.to(torch::kCPU, torch::kFloat).contiguous();
    for (const dictlab::ActivationEdit* edit : edits->second) (*edit)(cpu.data_ptr<float>(), rows, width);
    if (cpu.data_ptr() != activations.data_ptr() || !activations.is_contiguous())
      activations = cpu.to(activations.device(), activations.scalar_type()).view(activations.sizes());
  }
  if (std::find(captures_.begin(), captures_.end(), hook) != captures_.end()) {
    const torch::Tensor cpu = activations.detach().to(torch::kCPU, torch::kFloat).contiguous();
    captured_[hook].assign(cpu.data_ptr<float>(), cpu.data_ptr<float>() + cpu.numel());
  }
}

std::vector<std::vector<float>> HookRun::take_captures() {
  std::vector<std::vector<float>> out;
  for (const auto& hook : captures_) out.push_back(std::move(captured_[hook]));
  return out;
}

void HookRun::check_all_seen(const std::vector<dictlab::HookPoint>& points) const {
  for (const auto& [hook, seen] : seen_) {
    if (seen) continue;
    dictlab::find_hook_point(points, hook);  // throws with the nearest name
    throw dictlab::PluginError("the forward pass never reached hook point '" + hook + "'");
  }
}

}  // namespace torch_training

#include "checkpoints.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "dictlab/atomic_file.h"
#include "dictlab/sha256.h"

namespace torch_training {
namespace fs = std::filesystem;

namespace {

// The N of a file named step-<N>.json, or nullopt for any other name (a
// user's step-latest.json, a number too large for int64).
std::optional<std::int64_t> record_step(const std::string& name) {
  if (!name.starts_with("step-") || !name.ends_with(".json")) return std::nullopt;
  const std::string_view digits = std::string_view(name).substr(5, name.size() - 5 - 5);
  std::int64_t step = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), step);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || step < 0) return std::nullopt;
  return step;
}

// Newest first. Other files in the folder are not checkpoints: they are
// named (when `log` is given) and left alone, rather than stopping the run.
std::vector<std::int64_t> steps_on_disk(const fs::path& dir, dictlab::Logger* log) {
  std::vector<std::int64_t> steps;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    if (const auto step = record_step(name)) steps.push_back(*step);
    else if (log && name.starts_with("step-") && name.ends_with(".json"))
      log->warn("ignoring " + entry.path().string() + ": not a checkpoint record (step-<number>.json)");
  }
  std::sort(steps.rbegin(), steps.rend());
  return steps;
}

fs::path weights_file(const fs::path& dir, std::int64_t step) { return dir / ("step-" + std::to_string(step) + ".pt"); }
fs::path record_file(const fs::path& dir, std::int64_t step) { return dir / ("step-" + std::to_string(step) + ".json"); }

}  // namespace

void Checkpoints::save(std::int64_t step, const TensorMap& tensors, torch::optim::Optimizer* optimizer) {
  fs::create_directories(dir_);
  torch::serialize::OutputArchive archive;
  for (const auto& [name, tensor] : tensors) archive.write("param/" + name, tensor.detach().cpu());
  if (optimizer) {
    torch::serialize::OutputArchive optimizer_archive;
    optimizer->save(optimizer_archive);
    archive.write("optimizer", optimizer_archive);
  }
  const fs::path final_path = weights_file(dir_, step);
  const fs::path temp = final_path.string() + ".tmp-" + std::to_string(::getpid());
  archive.save_to(temp.string());
  fs::rename(temp, final_path);
  const nlohmann::json record = {{"step", step}, {"sha256", dictlab::Sha256::of_file(final_path)}};
  dictlab::AtomicFile::write_all(record_file(dir_, step), record.dump() + "\n");

  const auto steps = steps_on_disk(dir_, nullptr);
  for (std::size_t i = 2; i < steps.size(); ++i) {
    fs::remove(record_file(dir_, steps[i]));
    fs::remove(weights_file(dir_, steps[i]));
  }
}

std::optional<std::int64_t> Checkpoints::restore_latest(TensorMap& tensors, torch::optim::Optimizer* optimizer) {
  for (std::int64_t step : steps_on_disk(dir_, &log_)) {
    const fs::path weights = weights_file(dir_, step);
    std::string expected;
    try {
      std::ifstream in(record_file(dir_, step));
      expected = nlohmann::json::parse(in).at("sha256");
    } catch (const std::exception&) {
    }
    if (!fs::exists(weights) || expected.empty() || dictlab::Sha256::of_file(weights) != expected) {
      log_.warn("checkpoint " + weights.string() + " is missing or corrupted (checksum mismatch); trying an older one");
      continue;
    }
    torch::serialize::InputArchive archive;
    archive.load_from(weights.string());
    torch::NoGradGuard no_grad;
    for (auto& [name, tensor] : tensors) {
      torch::Tensor saved;
      archive.read("param/" + name, saved);
      tensor.copy_(saved);
    }
    if (optimizer) {
      torch::serialize::InputArchive optimizer_archive;
      archive.read("optimizer", optimizer_archive);
      optimizer->load(optimizer_archive);
    }
    return step;
  }
  return std::nullopt;
}

}  // namespace torch_training

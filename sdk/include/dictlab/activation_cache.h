#pragma once

// The on-disk activation cache an `activation_cache` stage writes and
// dictionary learners read, so that a sweep of dictionaries trains on one
// harvest instead of running the model again for each:
//
//   activations.json          {"d_in": 512, "context_length": 128, "dtype": "F16",
//                              "shard_rows": 131072, "shards": 64, "model_stage": "model",
//                              "hook": "blocks.0.mlp.hook_post"}
//   shard-00000.safetensors   one tensor "activations" [shard_rows, d_in] of that
//                             dtype; rows come from context windows drawn at random
//                             from the training tokens, shuffled within the shard
//
// A shard loads in Python with safetensors.torch.load_file(path)["activations"].
// Needs nlohmann-json (Debian nlohmann-json3-dev).

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "dictlab/atomic_file.h"
#include "dictlab/errors.h"
#include "dictlab/run_context.h"

namespace dictlab {

struct ActivationCacheInfo {
  std::int64_t d_in = 0;
  std::int64_t context_length = 0;
  std::string dtype = "F16";
  std::int64_t shard_rows = 0;
  std::int64_t shards = 0;
  std::string model_stage;  // the stage whose model made the activations
  std::string hook;         // the hook point they were read at

  std::int64_t rows() const { return shard_rows * shards; }

  static std::filesystem::path shard_file(const std::filesystem::path& dir, std::int64_t shard) {
    char name[32];
    std::snprintf(name, sizeof name, "shard-%05lld.safetensors", static_cast<long long>(shard));
    return dir / name;
  }

  static bool exists_in(const std::filesystem::path& dir) { return std::filesystem::exists(dir / "activations.json"); }

  static ActivationCacheInfo read(const std::filesystem::path& dir) {
    const auto file = dir / "activations.json";
    std::ifstream in(file);
    if (!in) throw PluginError("no activations.json in " + dir.string() + " (is it an activation_cache stage?)");
    const auto json = nlohmann::json::parse(in, nullptr, false);
    if (json.is_discarded() || !json.is_object()) throw PluginError(file.string() + ": not valid JSON");
    ActivationCacheInfo info;
    info.d_in = json.value("d_in", std::int64_t{0});
    info.context_length = json.value("context_length", std::int64_t{0});
    info.dtype = json.value("dtype", std::string());
    info.shard_rows = json.value("shard_rows", std::int64_t{0});
    info.shards = json.value("shards", std::int64_t{0});
    info.model_stage = json.value("model_stage", std::string());
    // Caches written before hooks had names hold the toy's MLP neurons.
    info.hook = json.value("hook", std::string("blocks.0.mlp.hook_post"));
    if (info.d_in <= 0 || info.context_length <= 0 || info.shard_rows <= 0 || info.shards <= 0 ||
        (info.dtype != "F16" && info.dtype != "BF16" && info.dtype != "F32"))
      throw PluginError(file.string() + ": d_in, context_length, shard_rows, shards and dtype must all be set");
    return info;
  }

  void write(const std::filesystem::path& dir) const {
    const nlohmann::json json = {{"d_in", d_in},         {"context_length", context_length},
                                 {"dtype", dtype},       {"shard_rows", shard_rows},
                                 {"shards", shards},     {"model_stage", model_stage},
                                 {"hook", hook}};
    AtomicFile::write_all(dir / "activations.json", json.dump(2) + "\n");
  }
};

// The input stage holding an activation cache, or nullptr when the stage
// reads none (and harvests from its model instead).
inline const StageInput* find_activation_cache(const RunContext& context) {
  for (const auto& input : context.inputs())
    if (ActivationCacheInfo::exists_in(input.dir)) return &input;
  return nullptr;
}

}  // namespace dictlab

// dictlab's own numbers for every dictionary of a run, for the SAELens /
// TransformerLens check (check_saelens.py): the held-out windows sae_metrics
// measures, the activations at the dictionary's hook, its codes and
// reconstructions, and the model's loss clean, spliced and zero-ablated.
// Plugins are found and loaded as the host loads them, and a stage is a
// dictionary when its manifest's plugin is of the dictionary kind, so a new
// architecture needs nothing here.
//
// Usage: dump_dictionary_codes RUN_DIR OUT_DIR [--contexts N] [STAGE...]
// Writes OUT_DIR/STAGE.safetensors (tokens I32 [contexts, length];
// activations, codes, reconstruction F32 [rows, ...]) and OUT_DIR/stages.json.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dictlab/atomic_file.h"
#include "dictlab/dictionary.h"
#include "dictlab/errors.h"
#include "dictlab/model.h"
#include "dictlab/safetensors.h"
#include "dictlab/token_shards.h"
#include "dictlab/token_windows.h"
#include "manifest.h"
#include "plugin_registry.h"

namespace fs = std::filesystem;
using dictlab::PluginKind;
using dictlab::host::PluginInstance;
using dictlab::host::PluginRegistry;

namespace {

struct Arguments {
  fs::path run_dir;
  fs::path out_dir;
  std::int64_t contexts = 32;  // sae_metrics' count in tests/interop/saelens_run.toml: the same windows
  std::vector<std::string> stages;
};

Arguments parse_arguments(int argc, char** argv) {
  if (argc < 3)
    throw dictlab::OptionError("arguments", "usage: dump_dictionary_codes RUN_DIR OUT_DIR [--contexts N] [STAGE...]");
  Arguments arguments{argv[1], argv[2]};
  for (int i = 3; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--contexts" && i + 1 < argc) arguments.contexts = std::stoll(argv[++i]);
    else arguments.stages.push_back(arg);
  }
  if (arguments.contexts <= 0) throw dictlab::OptionError("--contexts", "must be positive");
  return arguments;
}

// A finished stage of the run, and the kind of plugin that made it.
struct Stage {
  std::string name;
  fs::path dir;
  dictlab::host::StageManifest manifest;
  const dictlab::host::LoadedPlugin* plugin = nullptr;
};

std::map<std::string, Stage> finished_stages(const PluginRegistry& registry, const fs::path& run_dir) {
  std::map<std::string, Stage> stages;
  for (const auto& entry : fs::directory_iterator(run_dir / "stages")) {
    auto manifest = dictlab::host::read_manifest(entry.path());
    if (!manifest) continue;  // running, stopped, or not a stage
    const auto* plugin = registry.find(manifest->plugin);
    if (!plugin)
      std::cerr << "note: stage " << manifest->stage << " was made by plugin " << manifest->plugin
                << ", which is not on the plugin path (DICTLAB_PLUGIN_PATH): skipped\n";
    const std::string name = entry.path().filename().string();
    stages[name] = Stage{name, entry.path(), std::move(*manifest), plugin};
  }
  return stages;
}

const Stage& input_of_kind(const std::map<std::string, Stage>& stages, const Stage& stage, PluginKind kind) {
  for (const auto& input : stage.manifest.inputs)
    if (auto it = stages.find(input); it != stages.end() && it->second.plugin &&
                                      it->second.plugin->descriptor.kind == kind)
      return it->second;
  throw dictlab::PluginError("stage " + stage.name + " (" + (stage.dir / "manifest.json").string() +
                             ") has no finished input of kind " + dictlab::to_string(kind));
}

template <typename T>
std::pair<PluginInstance, T*> load(const Stage& stage) {
  auto instance = stage.plugin->instantiate();
  if (!instance.ok()) throw dictlab::PluginError(std::string(instance.status().message()));
  auto* plugin = static_cast<T*>(&instance->get());
  plugin->load(stage.dir, "cpu");
  return {std::move(*instance), plugin};
}

struct Losses {
  double clean = 0, spliced = 0, zero = 0;
};

nlohmann::json dump_stage(const std::map<std::string, Stage>& stages, const Stage& stage, const Arguments& args) {
  const Stage& model_stage = input_of_kind(stages, stage, PluginKind::kModel);
  const Stage& tokens_stage = input_of_kind(stages, stage, PluginKind::kTokenizer);
  auto [model_instance, model] = load<dictlab::Model>(model_stage);
  auto [dictionary_instance, dictionary] = load<dictlab::DictionaryLearner>(stage);
  const auto shape = dictionary->shape();
  const std::string hook = dictlab::dictionary_hook(*model, *dictionary).name;
  const std::int64_t length = model->shape().context_length;
  const dictlab::TokenShard heldout(tokens_stage.dir, "heldout", length);

  std::vector<std::int32_t> tokens;
  std::vector<float> activations, codes, reconstruction;
  // As sae_metrics: a transcoder replaces the whole MLP (read at its hook, written at its output hook).
  const dictlab::HookEdits splice = dictlab::splice_dictionary(*dictionary);
  const dictlab::HookEdits zero = dictlab::zero_ablation(shape);
  Losses losses;
  constexpr std::int64_t kBatch = 8;  // as sae_metrics: bounds the model's memory
  for (std::int64_t start = 0; start < args.contexts; start += kBatch) {
    const std::int64_t n = std::min(kBatch, args.contexts - start);
    const auto ids = dictlab::evenly_spaced_windows(heldout, start, n, args.contexts, length);
    const dictlab::TokenBatch batch{ids.data(), n, length};
    const auto x = dictlab::activations_at(*model, batch, hook);
    const std::int64_t rows = n * length;
    const std::size_t code_offset = codes.size(), x_offset = reconstruction.size();
    codes.resize(code_offset + static_cast<std::size_t>(rows * shape.d_sae));
    reconstruction.resize(x_offset + static_cast<std::size_t>(rows * shape.written_width()));
    dictionary->encode(x.data(), rows, codes.data() + code_offset);
    dictionary->reconstruct(x.data(), rows, reconstruction.data() + x_offset);
    tokens.insert(tokens.end(), ids.begin(), ids.end());
    activations.insert(activations.end(), x.begin(), x.end());
    const double weight = static_cast<double>(n) / static_cast<double>(args.contexts);
    losses.clean += model->loss(batch) * weight;
    losses.spliced += model->loss(batch, splice) * weight;
    losses.zero += model->loss(batch, zero) * weight;
  }

  const std::int64_t rows = args.contexts * length;
  dictlab::SafetensorsWriter writer;
  writer.add("tokens", "I32", {args.contexts, length}, tokens.data());
  writer.add_f32("activations", {rows, shape.d_in}, activations.data());
  writer.add_f32("codes", {rows, shape.d_sae}, codes.data());
  writer.add_f32("reconstruction", {rows, shape.written_width()}, reconstruction.data());
  writer.write(args.out_dir / (stage.name + ".safetensors"));
  return {{"stage", stage.name},
          {"plugin", stage.manifest.plugin},
          {"dir", fs::absolute(stage.dir).string()},
          {"model_dir", fs::absolute(model_stage.dir).string()},
          {"hook", hook},
          {"contexts", args.contexts},
          {"loss_clean", losses.clean},
          {"loss_spliced", losses.spliced},
          {"loss_zero_ablated", losses.zero},
          {"loss_recovered", (losses.zero - losses.spliced) / (losses.zero - losses.clean)}};
}

int run(const Arguments& args) {
  auto search = dictlab::host::default_plugin_search_path({});
  search.emplace_back(DICTLAB_BUILD_PLUGIN_DIR);
  const auto registry = PluginRegistry::discover(search);
  const auto stages = finished_stages(registry, args.run_dir);
  for (const auto& name : args.stages)
    if (!stages.count(name))
      throw dictlab::OptionError("STAGE", "no finished stage '" + name + "' in " + (args.run_dir / "stages").string());
  fs::create_directories(args.out_dir);
  nlohmann::json dumped = nlohmann::json::array();
  for (const auto& [name, stage] : stages) {
    const bool asked = args.stages.empty() || std::count(args.stages.begin(), args.stages.end(), name);
    if (!asked || !stage.plugin || stage.plugin->descriptor.kind != PluginKind::kDictionary) continue;
    dumped.push_back(dump_stage(stages, stage, args));
    std::cerr << "dumped " << name << " (" << stage.manifest.plugin << ")\n";
  }
  dictlab::AtomicFile::write_all(args.out_dir / "stages.json", dumped.dump(2) + "\n");
  return dumped.empty() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse_arguments(argc, argv));
  } catch (const std::exception& error) {
    std::cerr << "dump_dictionary_codes: " << error.what() << "\n";
    return 2;
  }
}

#include "served_model.h"

#include <algorithm>
#include <optional>

#include "dictlab/errors.h"
#include "manifest.h"

namespace dictlab::host {
namespace {

struct OpenedStage {
  std::string stage, plugin;
  std::shared_ptr<Plugin> instance;
};

// The instance of the plugin that wrote `stage`, if that plugin is of `kind`;
// a plugin not loaded is added to `missing` (it may be an input not needed here).
std::optional<OpenedStage> open_if_kind(const std::filesystem::path& run_dir, const std::string& stage,
                                        PluginKind kind, const PluginRegistry& registry, std::string& missing) {
  const auto manifest = read_manifest(run_dir / "stages" / stage);
  if (!manifest)
    throw PluginError("stage " + stage + " has no manifest.json in " + (run_dir / "stages" / stage).string());
  const LoadedPlugin* plugin = registry.find(manifest->plugin);
  if (!plugin) {
    missing += (missing.empty() ? "" : ", ") + manifest->plugin + " (stage " + stage + ")";
    return std::nullopt;
  }
  if (plugin->descriptor.kind != kind) return std::nullopt;
  auto instance = plugin->instantiate();
  if (!instance.ok()) throw PluginError(std::string(instance.status().message()));
  auto holder = std::make_shared<PluginInstance>(std::move(*instance));
  return OpenedStage{stage, manifest->plugin, std::shared_ptr<Plugin>(holder, &holder->get())};
}

// The one input of the analysis stage that is of `kind`.
OpenedStage input_of_kind(const std::filesystem::path& run_dir, const StageManifest& analysis, PluginKind kind,
                          const PluginRegistry& registry) {
  std::string missing;
  for (const auto& input : analysis.inputs)
    if (auto opened = open_if_kind(run_dir, input, kind, registry, missing)) return std::move(*opened);
  if (!missing.empty())
    throw PluginError("no " + std::string(to_string(kind)) + " input of stage " + analysis.stage +
                      " could be opened: plugins not loaded: " + missing + "; " + registry.describe_known());
  throw PluginError("stage " + analysis.stage + " read no " + to_string(kind) + " stage (its manifest.json inputs)");
}

}  // namespace

absl::StatusOr<std::unique_ptr<ServedModel>> ServedModel::open(const std::filesystem::path& run_dir,
                                                               const std::string& analysis_stage,
                                                               const PluginRegistry& registry) {
  ModelCache models;
  return open(run_dir, analysis_stage, registry, models);
}

absl::StatusOr<std::unique_ptr<ServedModel>> ServedModel::open(const std::filesystem::path& run_dir,
                                                               const std::string& analysis_stage,
                                                               const PluginRegistry& registry, ModelCache& models) {
  try {
    const auto analysis = read_manifest(run_dir / "stages" / analysis_stage);
    if (!analysis) return absl::NotFoundError("stage " + analysis_stage + " has no manifest.json");
    OpenedStage model_stage = input_of_kind(run_dir, *analysis, PluginKind::kModel, registry);
    OpenedStage dictionary_stage = input_of_kind(run_dir, *analysis, PluginKind::kDictionary, registry);
    std::shared_ptr<Model>& model = models[model_stage.stage];
    if (!model) {
      auto fresh = std::static_pointer_cast<Model>(model_stage.instance);
      // The CPU: `serve` is for a person browsing, and must not contend with a training run for the GPU.
      fresh->load(run_dir / "stages" / model_stage.stage, "cpu");
      model = std::move(fresh);
    }
    auto dictionary = std::static_pointer_cast<DictionaryLearner>(dictionary_stage.instance);
    dictionary->load(run_dir / "stages" / dictionary_stage.stage, "cpu");
    const HookPoint hook = dictionary_hook(*model, *dictionary);
    ServedModelInfo info{analysis_stage,          model_stage.stage, model_stage.plugin,
                         dictionary_stage.stage,  dictionary_stage.plugin, hook.name,
                         model->shape().vocab_size, model->shape().context_length, dictionary->shape().d_sae};
    return std::unique_ptr<ServedModel>(new ServedModel(model, std::move(dictionary), std::move(info)));
  } catch (const std::exception& error) {
    return absl::FailedPreconditionError(error.what());
  }
}

ServedModel::ServedModel(std::shared_ptr<Model> model, std::shared_ptr<DictionaryLearner> dictionary,
                         ServedModelInfo info)
    : model_(std::move(model)), dictionary_(std::move(dictionary)), info_(std::move(info)),
      directions_(decoder_directions(*dictionary_)),
      display_(*model_) {}

std::vector<TokenFeatures> ServedModel::features(const std::string& text, std::int64_t top_n, bool& truncated) {
  std::vector<std::int32_t> ids = model_->encode(text);
  truncated = static_cast<std::int64_t>(ids.size()) > info_.context_length;
  if (truncated) ids.erase(ids.begin(), ids.end() - info_.context_length);
  if (ids.empty()) return {};
  const auto length = static_cast<std::int64_t>(ids.size());
  const std::vector<float> activations = activations_at(*model_, {ids.data(), 1, length}, info_.hook);
  std::vector<float> codes(static_cast<std::size_t>(length * info_.d_sae));
  dictionary_->encode(activations.data(), length, codes.data());
  const std::vector<std::string> shown = display_.window(ids);
  std::vector<TokenFeatures> tokens;
  for (std::int64_t r = 0; r < length; ++r) {
    TokenFeatures token{shown[static_cast<std::size_t>(r)], {}};
    const float* row = codes.data() + r * info_.d_sae;
    for (std::int64_t f = 0; f < info_.d_sae; ++f)
      if (row[f] > 0) token.features.emplace_back(f, row[f]);
    const auto keep =
        std::min<std::size_t>(token.features.size(), static_cast<std::size_t>(std::max<std::int64_t>(0, top_n)));
    std::partial_sort(token.features.begin(), token.features.begin() + static_cast<std::ptrdiff_t>(keep),
                      token.features.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    token.features.resize(keep);
    tokens.push_back(std::move(token));
  }
  return tokens;
}

std::string ServedModel::generate(const std::string& prompt, const SamplingOptions& sampling,
                                  const std::vector<Pin>& pins, const std::function<void()>& check,
                                  bool& prompt_truncated) {
  std::vector<std::int32_t> ids = model_->encode(prompt);
  prompt_truncated = static_cast<std::int64_t>(ids.size()) > info_.context_length;
  const std::string kept = prompt_truncated
                               ? model_->decode(std::vector<std::int32_t>(ids.end() - info_.context_length, ids.end()))
                               : prompt;
  // Every step passes the hook, so an edit there is where a long generation can be stopped.
  HookEdits edits{{info_.hook, [&check](float*, std::int64_t, std::int64_t) { check(); }}};
  for (const Pin& pin : pins) {
    const float* direction = directions_.data() + pin.feature * dictionary_->shape().written_width();
    for (HookEdit& edit : pin_feature(*dictionary_, direction, pin.feature, pin.value)) edits.push_back(std::move(edit));
  }
  return model_->generate(kept, sampling, edits);
}

std::vector<std::string> ServedModel::display(const std::string& text) const {
  return display_.window(model_->encode(text));
}

}  // namespace dictlab::host

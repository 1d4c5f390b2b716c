#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "dictlab/descriptor.h"
#include "dictlab/model.h"
#include "dictlab/plugin.h"
#include "dictlab/run_context.h"

namespace dictlab {

struct DictionaryShape {
  std::int64_t d_in = 0;   // width of the activations it decomposes
  std::int64_t d_sae = 0;  // number of features
  std::string hook;        // the model's hook point it reads and reconstructs
};

// A dictionary learner (sparse autoencoder). The stage trains a dictionary on
// the activations at one hook point of its input model and leaves it in stage_dir as
// safetensors (SAELens names: W_enc, b_enc, W_dec, b_dec) + cfg.json; later
// stages load it with open_input_dictionary().
class DictionaryLearner : public Plugin {
 public:
  static constexpr PluginKind kKind = PluginKind::kDictionary;
  virtual void train(RunContext& context) = 0;

  virtual void load(const std::filesystem::path& stage_dir, const std::string& device) = 0;
  virtual DictionaryShape shape() const = 0;
  // Feature activations [rows, d_sae] of activations [rows, d_in], row-major.
  virtual void encode(const float* activations, std::int64_t rows, float* features) = 0;
  // The reconstruction [rows, d_in] of feature activations [rows, d_sae].
  virtual void decode(const float* features, std::int64_t rows, float* activations) = 0;
  // Writes the dictionary as one file the browser runs (safetensors with the
  // SAELens names and the cfg in the metadata; see host/site/DATA.md).
  virtual void export_bundle(const std::filesystem::path& file) const = 0;
};

// The trained dictionary of this stage's dictionary input.
inline std::shared_ptr<DictionaryLearner> open_input_dictionary(RunContext& context) {
  const StageInput& input = context.input(PluginKind::kDictionary);
  auto dictionary = std::static_pointer_cast<DictionaryLearner>(context.open_plugin(input));
  dictionary->load(input.dir, context.device());
  return dictionary;
}

// The hook point of `model` that `dictionary` reads, checked to exist and to
// have the dictionary's width (dictionaries of another model fail here).
inline HookPoint dictionary_hook(const Model& model, DictionaryLearner& dictionary) {
  const DictionaryShape shape = dictionary.shape();
  const HookPoint point = find_hook_point(model.hook_points(), shape.hook);
  if (point.width != shape.d_in)
    throw PluginError("the dictionary reads " + std::to_string(shape.d_in) + " activations at " + shape.hook +
                      ", but the model has " + std::to_string(point.width) + " there: is it another model's?");
  return point;
}

// The edit that pins `feature` to `value` at every position, keeping the
// dictionary's error term: x' = x + (value - f(x))·d, d the feature's decoder
// direction (d_in floats that must outlive the edit).
inline ActivationEdit pin_feature(DictionaryLearner& dictionary, const float* direction, std::int64_t feature,
                                  float value) {
  const std::int64_t d_sae = dictionary.shape().d_sae;
  return [&dictionary, direction, feature, value, d_sae](float* x, std::int64_t rows, std::int64_t width) {
    std::vector<float> codes(static_cast<std::size_t>(rows * d_sae));
    dictionary.encode(x, rows, codes.data());
    for (std::int64_t r = 0; r < rows; ++r) {
      const float shift = value - codes[static_cast<std::size_t>(r * d_sae + feature)];
      for (std::int64_t j = 0; j < width; ++j) x[r * width + j] += shift * direction[j];
    }
  };
}

// Each feature's decoder direction in activation space, row-major [d_sae, d_in]:
// decode(e_i) - decode(0), so that it works for any dictionary, whatever its
// bias or scaling conventions.
inline std::vector<float> decoder_directions(DictionaryLearner& dictionary) {
  const auto [d_in, d_sae, hook] = dictionary.shape();
  std::vector<float> directions(static_cast<std::size_t>(d_sae * d_in));
  std::vector<float> zero(static_cast<std::size_t>(d_sae), 0.0f), bias(static_cast<std::size_t>(d_in));
  dictionary.decode(zero.data(), 1, bias.data());
  constexpr std::int64_t kChunk = 256;  // bounds the one-hot basis to kChunk x d_sae
  std::vector<float> basis;
  for (std::int64_t start = 0; start < d_sae; start += kChunk) {
    const std::int64_t n = std::min(kChunk, d_sae - start);
    basis.assign(static_cast<std::size_t>(n * d_sae), 0.0f);
    for (std::int64_t i = 0; i < n; ++i) basis[static_cast<std::size_t>(i * d_sae + start + i)] = 1.0f;
    float* rows = directions.data() + start * d_in;
    dictionary.decode(basis.data(), n, rows);
    for (std::int64_t i = 0; i < n * d_in; ++i) rows[i] -= bias[static_cast<std::size_t>(i % d_in)];
  }
  return directions;
}

}  // namespace dictlab

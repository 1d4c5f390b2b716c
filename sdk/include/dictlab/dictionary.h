#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
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
  std::string hook;        // the model's hook point it reads (and an SAE reconstructs)
  // A transcoder predicts the activations at another hook from those at
  // `hook` (the MLP's output from its input); an SAE leaves these empty/0:
  // it reconstructs what it reads.
  std::string output_hook;
  std::int64_t d_out = 0;

  bool is_transcoder() const { return !output_hook.empty() && output_hook != hook; }
  const std::string& written_hook() const { return is_transcoder() ? output_hook : hook; }
  std::int64_t written_width() const { return is_transcoder() ? d_out : d_in; }
};

// A dictionary learner (sparse autoencoder or transcoder). The stage trains a
// dictionary on the activations at one hook point of its input model (a
// transcoder: on pairs of activations at two hooks) and leaves it in stage_dir as
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
  // The decoded features [rows, written_width()] of feature activations
  // [rows, d_sae]: W_dec·f + b_dec (a skip transcoder's skip term needs the
  // input, so it is in reconstruct() only).
  virtual void decode(const float* features, std::int64_t rows, float* activations) = 0;
  // What the dictionary puts in the model's place, [rows, written_width()],
  // from the activations at `hook` [rows, d_in]: decode(encode(x)) for an
  // SAE, the prediction of the output hook (skip term included) for a
  // transcoder. The default is decode(encode(x)), right for any dictionary
  // without a skip term.
  virtual void reconstruct(const float* activations, std::int64_t rows, float* output) {
    std::vector<float> features(static_cast<std::size_t>(rows * shape().d_sae));
    encode(activations, rows, features.data());
    decode(features.data(), rows, output);
  }
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
// have the dictionary's width (dictionaries of another model fail here), as
// is a transcoder's output hook.
inline HookPoint dictionary_hook(const Model& model, DictionaryLearner& dictionary) {
  const DictionaryShape shape = dictionary.shape();
  const auto points = model.hook_points();
  const auto checked = [&points](const std::string& name, std::int64_t width, const char* verb) {
    const HookPoint point = find_hook_point(points, name);
    if (point.width != width)
      throw PluginError("the dictionary " + std::string(verb) + " " + std::to_string(width) + " activations at " +
                        name + ", but the model has " + std::to_string(point.width) +
                        " there: is it another model's?");
    return point;
  };
  if (shape.is_transcoder()) checked(shape.output_hook, shape.d_out, "writes");
  return checked(shape.hook, shape.d_in, "reads");
}

// An edit of what a dictionary writes from what it reads at the same
// positions: `read` [rows, d_in] at its hook, `written` [rows,
// written_width()] where it writes (for an SAE the same buffer: read it
// before writing).
using DictionaryEdit = std::function<void(const float* read, float* written, std::int64_t rows)>;

// The hook edits that run `edit` where the dictionary writes, on what it read
// there: one edit at an SAE's hook; for a transcoder, a capture at its input
// hook and the edit at its output hook. Models apply edits in forward order,
// so every input captured is consumed, first in first out, at the output
// hook of the same pass (a model may call a hook once per window).
inline HookEdits dictionary_edits(const DictionaryShape& shape, DictionaryEdit edit) {
  if (!shape.is_transcoder())
    return {{shape.hook, [edit = std::move(edit)](float* x, std::int64_t rows, std::int64_t) { edit(x, x, rows); }}};
  auto captured = std::make_shared<std::deque<std::vector<float>>>();
  const std::int64_t d_in = shape.d_in, d_out = shape.d_out;
  const std::string output_hook = shape.output_hook;
  ActivationEdit capture = [captured](float* x, std::int64_t rows, std::int64_t width) {
    captured->emplace_back(x, x + rows * width);
  };
  ActivationEdit write = [edit = std::move(edit), captured, d_in, d_out, output_hook](float* y, std::int64_t rows,
                                                                                     std::int64_t width) {
    if (captured->empty() || static_cast<std::int64_t>(captured->front().size()) != rows * d_in || width != d_out)
      throw PluginError("the transcoder's output hook " + output_hook +
                        " ran without the matching input rows: does the model run its hooks in forward order?");
    edit(captured->front().data(), y, rows);
    captured->pop_front();
  };
  return {{shape.hook, std::move(capture)}, {shape.output_hook, std::move(write)}};
}

// The edits that put `dictionary` in the model's place: an SAE's
// reconstruction replaces the activations at its hook; a transcoder reads
// its input hook and its prediction replaces the output hook (the whole MLP
// for ln2.hook_normalized -> hook_mlp_out). The edits keep a reference to
// `dictionary`.
inline HookEdits splice_dictionary(DictionaryLearner& dictionary) {
  const DictionaryShape shape = dictionary.shape();
  const std::int64_t width = shape.written_width();
  return dictionary_edits(shape, [&dictionary, width](const float* x, float* written, std::int64_t rows) {
    // Into a buffer first: an SAE's input and output are the same memory.
    std::vector<float> output(static_cast<std::size_t>(rows * width));
    dictionary.reconstruct(x, rows, output.data());
    std::copy(output.begin(), output.end(), written);
  });
}

// The edits that zero-ablate what the dictionary replaces when spliced in:
// the activations at an SAE's hook, a transcoder's output (the MLP's output).
inline HookEdits zero_ablation(const DictionaryShape& shape) {
  return {{shape.written_hook(),
           [](float* a, std::int64_t rows, std::int64_t width) { std::fill(a, a + rows * width, 0.0f); }}};
}

// The edits that pin `feature` to `value` at every position, keeping the
// dictionary's error term: what it writes gets (value - f(x))·d, f(x) the
// feature's code of what it reads and d its decoder direction where it
// writes (written_width() floats that must outlive the edits). An SAE: x' =
// x + (value - f(x))·d at its hook; a transcoder: its code of the MLP's
// input, added to the MLP's output.
inline HookEdits pin_feature(DictionaryLearner& dictionary, const float* direction, std::int64_t feature,
                             float value) {
  const DictionaryShape shape = dictionary.shape();
  const std::int64_t d_sae = shape.d_sae, width = shape.written_width();
  return dictionary_edits(shape, [&dictionary, direction, feature, value, d_sae, width](
                                     const float* x, float* written, std::int64_t rows) {
    std::vector<float> codes(static_cast<std::size_t>(rows * d_sae));
    dictionary.encode(x, rows, codes.data());
    for (std::int64_t r = 0; r < rows; ++r) {
      const float shift = value - codes[static_cast<std::size_t>(r * d_sae + feature)];
      for (std::int64_t j = 0; j < width; ++j) written[r * width + j] += shift * direction[j];
    }
  });
}

// Each feature's decoder direction in activation space, row-major [d_sae,
// written_width()] (a transcoder's: at its output hook): decode(e_i) -
// decode(0), so that it works for any dictionary, whatever its bias or
// scaling conventions.
inline std::vector<float> decoder_directions(DictionaryLearner& dictionary) {
  const DictionaryShape shape = dictionary.shape();
  const std::int64_t d_in = shape.written_width(), d_sae = shape.d_sae;
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

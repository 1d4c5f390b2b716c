#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "dictlab/errors.h"

namespace dictlab {

// A place in the forward pass whose activations can be read and edited,
// named as TransformerLens names it (see transformer_block_hooks below).
struct HookPoint {
  std::string name;
  std::int64_t width = 0;  // floats per token position
};

// Reads and may overwrite the activations at a hook in place: `rows` rows
// (batch positions) of `width` floats. Splicing a dictionary's
// reconstruction, zero-ablation and feature pinning are all edits.
using ActivationEdit = std::function<void(float* activations, std::int64_t rows, std::int64_t width)>;

struct HookEdit {
  std::string hook;
  ActivationEdit edit;
};
// Several edits at one hook run in the order given.
using HookEdits = std::vector<HookEdit>;

// The hooks of a stack of pre-norm transformer blocks, in forward order.
inline std::vector<HookPoint> transformer_block_hooks(std::int64_t n_layers, std::int64_t d_model,
                                                      std::int64_t d_mlp) {
  std::vector<HookPoint> points;
  for (std::int64_t layer = 0; layer < n_layers; ++layer) {
    const std::string block = "blocks." + std::to_string(layer) + ".";
    points.push_back({block + "hook_resid_pre", d_model});
    points.push_back({block + "hook_attn_out", d_model});
    points.push_back({block + "hook_resid_mid", d_model});
    points.push_back({block + "ln2.hook_normalized", d_model});  // the MLP's input
    points.push_back({block + "mlp.hook_post", d_mlp});
    points.push_back({block + "hook_mlp_out", d_model});
    points.push_back({block + "hook_resid_post", d_model});
  }
  return points;
}

namespace detail {
inline std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}
}  // namespace detail

// The hook point of that name, or a PluginError naming the closest one.
inline HookPoint find_hook_point(const std::vector<HookPoint>& points, std::string_view name) {
  const HookPoint* nearest = nullptr;
  std::size_t best = SIZE_MAX;
  for (const auto& point : points) {
    if (point.name == name) return point;
    const std::size_t distance = detail::edit_distance(point.name, name);
    if (distance < best) best = distance, nearest = &point;
  }
  std::string message = "no hook point '" + std::string(name) + "' in this model";
  if (nearest) message += "; did you mean '" + nearest->name + "'? (" + std::to_string(points.size()) + " hook points, from '" +
                          points.front().name + "' to '" + points.back().name + "')";
  throw PluginError(message);
}

}  // namespace dictlab

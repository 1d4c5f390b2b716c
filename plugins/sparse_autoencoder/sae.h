#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "architecture.h"

namespace sparse_autoencoder {

// What every architecture shares; saved in cfg.json with SAELens' keys.
struct SaeConfig {
  std::int64_t d_in = 512;
  std::int64_t d_sae = 4096;
  // Activations are multiplied by this before encoding and divided after
  // decoding, so that their mean squared norm is d_in (1.0 = off). Saved
  // files have it folded into the weights (see sae_file.cc).
  double activation_scale = 1.0;
  std::string hook_name = "blocks.0.mlp.hook_post";  // where the model's activations were read
  // A transcoder's target: its width (0 for an SAE, whose target is its
  // input), hook and scale (the target's own, like activation_scale).
  std::int64_t d_out = 0;
  std::string hook_name_out;
  double activation_scale_out = 1.0;

  bool transcoder() const { return d_out > 0; }
  std::int64_t output_width() const { return transcoder() ? d_out : d_in; }
  double output_scale() const { return transcoder() ? activation_scale_out : activation_scale; }
};

// x̄ = x·s − b_dec; f = act(x̄ W_enc + b_enc); x̂ = (f W_dec + b_dec) / s.
// W_dec's rows are the feature directions, kept at unit norm.
// A transcoder reads x·s (architecture.h: encoder_input) and predicts its
// target y: ŷ = (f W_dec + b_dec + skip) / s_out. Its training rows hold the
// input then the target, [rows, d_in + d_out].
struct Sae {
  SaeConfig config;
  std::shared_ptr<Architecture> architecture;
  torch::Tensor W_enc;  // [d_in, d_sae]
  torch::Tensor b_enc;  // [d_sae]
  torch::Tensor W_dec;  // [d_sae, output_width]
  torch::Tensor b_dec;  // [output_width]
  // An architecture's own tensors, by SAELens name: trained ones (JumpReLU's
  // threshold) and running state (BatchTopK's threshold).
  std::map<std::string, torch::Tensor> extra_parameters;
  std::map<std::string, torch::Tensor> state;

  Sae(SaeConfig c, std::shared_ptr<Architecture> a);
  std::vector<torch::Tensor> parameters() const;
  // Every tensor a checkpoint or a saved file holds, by name.
  std::map<std::string, torch::Tensor> named_tensors() const;

  // Pre-activations in the scaled space, [rows, d_sae].
  torch::Tensor pre_activations(const torch::Tensor& scaled_x) const;
  torch::Tensor activate(const torch::Tensor& pre) const { return architecture->activate(*this, pre); }
  torch::Tensor encode(const torch::Tensor& x) const;        // unscaled in
  torch::Tensor decode(const torch::Tensor& features) const;  // unscaled out
  // What replaces the target: decode(encode(x)), plus a skip term.
  torch::Tensor forward(const torch::Tensor& x) const;

  // Training rows (see above) split into the encoder's input and the
  // target; both are the rows themselves for an SAE.
  torch::Tensor input_of(const torch::Tensor& rows) const;
  torch::Tensor target_of(const torch::Tensor& rows) const;
  // Training rows with the input and the target each multiplied by its scale.
  torch::Tensor scaled(const torch::Tensor& rows) const;

  // Moves every tensor to `device`, parameters staying trainable leaves.
  void to(const torch::Device& device);

  void normalize_decoder();
  // Removes the part of W_dec's gradient that would change row norms
  // (the paper's step before each Adam update).
  void project_decoder_gradient();

  nlohmann::json cfg() const;  // SAELens' cfg.json keys
};

}  // namespace sparse_autoencoder

#pragma once

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

namespace sparse_autoencoder {

// What distinguishes the variants; saved as cfg.json with SAELens' keys.
struct SaeConfig {
  std::int64_t d_in = 512;
  std::int64_t d_sae = 4096;
  std::string architecture = "standard";  // "standard" (ReLU + L1) or "topk"
  std::int64_t k = 32;                    // topk only
  // Activations are multiplied by this before encoding and divided after
  // decoding, so that their mean squared norm is d_in (1.0 = off).
  double activation_scale = 1.0;
  std::string hook_name = "blocks.0.mlp.hook_post";  // where the model's activations were read
};

// x̄ = x·s − b_dec; f = act(x̄ W_enc + b_enc); x̂ = (f W_dec + b_dec) / s.
// W_dec's rows are the feature directions, kept at unit norm.
struct Sae {
  SaeConfig config;
  torch::Tensor W_enc;  // [d_in, d_sae]
  torch::Tensor b_enc;  // [d_sae]
  torch::Tensor W_dec;  // [d_sae, d_in]
  torch::Tensor b_dec;  // [d_in]

  explicit Sae(SaeConfig c);
  std::vector<torch::Tensor> parameters() const { return {W_enc, b_enc, W_dec, b_dec}; }

  // Pre-activations in the scaled space, [rows, d_sae].
  torch::Tensor pre_activations(const torch::Tensor& scaled_x) const;
  // Feature activations from pre-activations: ReLU, or the k largest kept.
  torch::Tensor activate(const torch::Tensor& pre) const;
  torch::Tensor encode(const torch::Tensor& x) const;        // unscaled in
  torch::Tensor decode(const torch::Tensor& features) const;  // unscaled out

  void normalize_decoder();
  // Removes the part of W_dec's gradient that would change row norms
  // (the paper's step before each Adam update).
  void project_decoder_gradient();

  nlohmann::json cfg() const;  // SAELens' cfg.json keys
  void save(const std::filesystem::path& dir) const;  // sae_weights.safetensors + cfg.json
  // One file for the browser: the weights and the cfg in the metadata.
  void export_bundle(const std::filesystem::path& file) const;
  static Sae load(const std::filesystem::path& dir);

 private:
  void write_weights(const std::filesystem::path& file, torch::ScalarType dtype, const nlohmann::json& cfg) const;
};

}  // namespace sparse_autoencoder

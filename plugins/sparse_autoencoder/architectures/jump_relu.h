#pragma once

// JumpReLU, the form BatchTopK and Matryoshka dictionaries are saved in and
// JumpReLU dictionaries train in: f = z·H(z − θ) with a threshold θ per
// feature (SAELens' "jumprelu" architecture, tensor "threshold").

#include <torch/torch.h>

#include <nlohmann/json.hpp>

namespace sparse_autoencoder {

struct Sae;

// relu(z)·[z > θ], as SAELens' JumpReLUSAE.encode computes it.
torch::Tensor jump_relu(const torch::Tensor& pre, const torch::Tensor& threshold);
// cfg.json keys of the saved JumpReLU form.
void describe_jump_relu(nlohmann::json& cfg);
// Adds the [d_sae] "threshold" tensor (zeros), trained or as running state.
void add_threshold(Sae& sae, bool trained);
const torch::Tensor& threshold_of(const Sae& sae);

}  // namespace sparse_autoencoder

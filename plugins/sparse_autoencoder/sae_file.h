#pragma once

// A dictionary on disk, in the layout SAELens' SAE.load_from_disk reads:
// sae_weights.safetensors (SAELens' tensor names) and cfg.json. The saved
// weights have the activation scale folded in (W_enc·s, W_dec/s, b_dec/s),
// so SAELens computes the same codes and reconstructions with
// normalize_activations "none"; cfg.json keeps the scale as information and
// says it is folded, which is how our loader unfolds it.

#include <filesystem>

#include "sae.h"

namespace sparse_autoencoder {

void save_sae(const Sae& sae, const std::filesystem::path& dir);
Sae load_sae(const std::filesystem::path& dir);

// One file for the browser: the unfolded weights and the cfg (with
// activation_scale) in the metadata; host/site/DATA.md.
void export_sae_bundle(const Sae& sae, const std::filesystem::path& file);

}  // namespace sparse_autoencoder

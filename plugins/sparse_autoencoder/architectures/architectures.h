#pragma once

// Every architecture, as its plugin builds it for training (from the stage's
// options) and as a saved cfg.json rebuilds it for inference.

#include <memory>
#include <nlohmann/json.hpp>

#include "architecture.h"
#include "dictlab/options.h"

namespace sparse_autoencoder {

// ReLU codes and an L1 penalty (Bricken et al. 2023).
std::shared_ptr<Architecture> standard_from_options(const dictlab::Options& options);
std::shared_ptr<Architecture> standard_from_cfg(const nlohmann::json& cfg);

// The k largest codes per activation and AuxK (Gao et al. 2024).
std::shared_ptr<Architecture> topk_from_options(const dictlab::Options& options);
std::shared_ptr<Architecture> topk_from_cfg(const nlohmann::json& cfg);

// The B·k largest codes over a batch of B activations, AuxK, and a running
// threshold that replaces the batch at inference (Bussmann et al. 2024).
std::shared_ptr<Architecture> batch_topk_from_options(const dictlab::Options& options);

// BatchTopK codes whose loss sums the reconstruction errors of nested
// prefixes of the dictionary (Bussmann et al. 2025, Matryoshka SAEs).
std::shared_ptr<Architecture> matryoshka_from_options(const dictlab::Options& options);
// JumpReLU with learned thresholds and a choice of sparsity penalty
// (Rajamanoharan et al. 2024; architectures/jumprelu.cc).
std::shared_ptr<Architecture> jumprelu_from_options(const dictlab::Options& options);

// Transcoders: TopK codes of the MLP's input predict its output, with an
// optional skip term (SAELens' "transcoder" and "skip_transcoder").
std::shared_ptr<Architecture> transcoder_from_options(const dictlab::Options& options);
std::shared_ptr<Architecture> transcoder_from_cfg(const nlohmann::json& cfg);

// JumpReLU as saved (architectures/jump_relu.h): what BatchTopK and
// Matryoshka dictionaries load as.
std::shared_ptr<Architecture> jumprelu_from_cfg(const nlohmann::json& cfg);

}  // namespace sparse_autoencoder

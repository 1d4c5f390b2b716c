#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "architecture.h"
#include "dictlab/options.h"
#include "trainer.h"

namespace sparse_autoencoder {

// The dictionary plugins built on this library.
inline constexpr std::string_view kSaeL1 = "sae_l1";
inline constexpr std::string_view kSaeTopK = "sae_topk";
inline constexpr std::string_view kSaeBatchTopK = "sae_batchtopk";
inline constexpr std::string_view kSaeMatryoshka = "sae_matryoshka";
inline constexpr std::string_view kSaeJumpReLU = "sae_jumprelu";
inline constexpr std::string_view kTranscoder = "transcoder";

// What tells one of them from another, found by plugin name so that any of
// them can train the others' stages in one pass (every plugin library holds
// them all).
struct Variant {
  std::shared_ptr<Architecture> (*architecture)(const dictlab::Options& options);
  TrainerOptions (*trainer_options)(const dictlab::Options& options);
  // The hook whose activations a transcoder predicts from those at `hook`;
  // empty for an SAE, which reconstructs its input.
  std::string (*target_hook)(const dictlab::Options& options);
};

const Variant& variant_of(std::string_view plugin);

}  // namespace sparse_autoencoder

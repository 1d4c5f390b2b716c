// BatchTopK sparse autoencoder (Bussmann et al. 2024): k active features per
// activation on average over each batch, AuxK for dead latents, and a
// running threshold that makes the saved dictionary a JumpReLU.
#include "architectures/architectures.h"
#include "batch_top_k_options.h"
#include "sae_plugin.h"

namespace {

using namespace sparse_autoencoder;

dictlab::PluginDescriptor describe() {
  auto options = common_options();
  for (auto& option : batch_top_k_options()) options.push_back(std::move(option));
  return {.name = "sae_batchtopk",
          .version = "1.0.0",
          .summary = "Sparse autoencoder with BatchTopK codes and the AuxK loss, saved as JumpReLU.",
          .options = options,
          .data_parallel = true};
}

class SaeBatchTopK : public SaePlugin {
 protected:
  std::shared_ptr<Architecture> architecture(const dictlab::Options& o) const override {
    return batch_topk_from_options(o);
  }
};

}  // namespace

DICTLAB_PLUGIN(SaeBatchTopK, describe)

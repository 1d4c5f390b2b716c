// BatchTopK sparse autoencoder (Bussmann et al. 2024): k active features per
// activation on average over each batch, AuxK for dead latents, and a
// running threshold that makes the saved dictionary a JumpReLU.
#include "batch_top_k_options.h"
#include "sae_plugin.h"
#include "variants.h"

namespace {

using namespace sparse_autoencoder;

dictlab::PluginDescriptor describe() {
  auto options = common_options();
  for (auto& option : batch_top_k_options()) options.push_back(std::move(option));
  return dictionary_descriptor(kSaeBatchTopK, "1.0.0",
                               "Sparse autoencoder with BatchTopK codes and the AuxK loss, saved as JumpReLU.", options);
}

class SaeBatchTopK : public SaePlugin {
 public:
  SaeBatchTopK() : SaePlugin(kSaeBatchTopK) {}
};

}  // namespace

DICTLAB_PLUGIN(SaeBatchTopK, describe)

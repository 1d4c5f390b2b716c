// TopK sparse autoencoder (Gao et al. 2024): exactly k active features per
// activation, and the AuxK loss that lets dead latents learn.
#include "aux_k.h"
#include "sae_plugin.h"
#include "variants.h"

namespace {

using dictlab::OptionSpec;
using dictlab::OptionType;
using namespace sparse_autoencoder;

dictlab::PluginDescriptor describe() {
  auto options = common_options();
  options.push_back(OptionSpec{"k", OptionType::kInt, "Active features per activation.", std::int64_t{32}}.at_least(1));
  for (auto& option : AuxK::options()) options.push_back(std::move(option));
  return dictionary_descriptor(kSaeTopK, "1.0.0",
                               "Sparse autoencoder with TopK activation and the AuxK loss.", options);
}

class SaeTopK : public SaePlugin {
 public:
  SaeTopK() : SaePlugin(kSaeTopK) {}
};

}  // namespace

DICTLAB_PLUGIN(SaeTopK, describe)

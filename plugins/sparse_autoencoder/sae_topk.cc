// TopK sparse autoencoder (Gao et al. 2024): exactly k active features per
// activation, and the AuxK loss that lets dead latents learn.
#include "architectures/architectures.h"
#include "aux_k.h"
#include "sae_plugin.h"

namespace {

using dictlab::OptionSpec;
using dictlab::OptionType;
using namespace sparse_autoencoder;

dictlab::PluginDescriptor describe() {
  auto options = common_options();
  options.push_back(OptionSpec{"k", OptionType::kInt, "Active features per activation.", std::int64_t{32}}.at_least(1));
  for (auto& option : AuxK::options()) options.push_back(std::move(option));
  return {.name = "sae_topk",
          .version = "1.0.0",
          .summary = "Sparse autoencoder with TopK activation and the AuxK loss.",
          .options = options,
          .data_parallel = true};
}

class SaeTopK : public SaePlugin {
 protected:
  std::shared_ptr<Architecture> architecture(const dictlab::Options& o) const override { return topk_from_options(o); }
};

}  // namespace

DICTLAB_PLUGIN(SaeTopK, describe)

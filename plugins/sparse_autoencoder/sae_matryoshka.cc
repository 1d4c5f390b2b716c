// Matryoshka sparse autoencoder (Bussmann et al. 2025): BatchTopK codes whose
// loss sums the reconstruction errors of nested prefixes of the dictionary;
// saved as JumpReLU.
#include "batch_top_k_options.h"
#include "sae_plugin.h"
#include "variants.h"

namespace {

using dictlab::OptionType;
using namespace sparse_autoencoder;

dictlab::PluginDescriptor describe() {
  auto options = common_options();
  for (auto& option : batch_top_k_options()) options.push_back(std::move(option));
  options.push_back(dictlab::OptionSpec{"prefixes", OptionType::kIntList,
                                        "Sizes of the nested dictionaries whose reconstruction errors are summed, "
                                        "increasing; d_sae is added when the list stops short of it (empty: d_sae/16, "
                                        "/8, /4, /2 and d_sae).",
                                        std::vector<std::int64_t>{}}
                        .at_least(1));
  return dictionary_descriptor(kSaeMatryoshka, "1.0.0",
                               "Matryoshka sparse autoencoder: BatchTopK codes, nested reconstruction losses, saved as JumpReLU.", options);
}

class SaeMatryoshka : public SaePlugin {
 public:
  SaeMatryoshka() : SaePlugin(kSaeMatryoshka) {}
};

}  // namespace

DICTLAB_PLUGIN(SaeMatryoshka, describe)

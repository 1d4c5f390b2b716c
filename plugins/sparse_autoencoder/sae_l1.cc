// The Towards Monosemanticity recipe: ReLU features, L1 penalty, unit-norm
// decoder rows, geometric-median decoder bias, and resampling of dead features.
#include "sae_plugin.h"
#include "variants.h"

namespace {

using dictlab::OptionSpec;
using dictlab::OptionType;
using namespace sparse_autoencoder;

dictlab::PluginDescriptor describe() {
  auto options = common_options();
  options.push_back(
      OptionSpec{"l1_coefficient", OptionType::kFloat, "λ of the L1 penalty on feature activations.", 5e-3}.at_least(0));
  options.push_back(OptionSpec{"resample_steps", OptionType::kIntList,
                               "Steps at which dead features are resampled (the paper: 25k, 50k, 75k, 100k).",
                               std::vector<std::int64_t>{}}
                        .at_least(1));
  options.push_back(OptionSpec{"resample_window", OptionType::kInt,
                               "Silent for this many steps = dead, for resampling.", std::int64_t{500}}
                        .at_least(1));
  return dictionary_descriptor(kSaeL1, "1.0.0",
                               "Sparse autoencoder, the paper's recipe: ReLU, L1, resampling.", options);
}

class SaeL1 : public SaePlugin {
 public:
  SaeL1() : SaePlugin(kSaeL1) {}
};

}  // namespace

DICTLAB_PLUGIN(SaeL1, describe)

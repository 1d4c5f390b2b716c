// JumpReLU sparse autoencoder (Rajamanoharan et al. 2024): a learned
// threshold per feature trained through straight-through estimators, with a
// choice of sparsity penalty (see architectures/jumprelu.cc).
#include "sae_plugin.h"
#include "variants.h"

namespace {

using dictlab::OptionSpec;
using dictlab::OptionType;
using namespace sparse_autoencoder;

dictlab::PluginDescriptor describe() {
  auto options = common_options();
  options.push_back(OptionSpec{"sparsity", OptionType::kString,
                               "The sparsity penalty: \"l0\" (λ·L0 through the step function's STE, Rajamanoharan "
                               "et al.), \"tanh\" (λ·Σ tanh(c·f) and the pre-activation loss, Anthropic 2025) or "
                               "\"target_l0\" (λ·(L0/target_l0 − 1)², dictionary_learning).",
                               std::string("target_l0")}
                        .one_of({"l0", "tanh", "target_l0"}));
  options.push_back(OptionSpec{"sparsity_coefficient", OptionType::kFloat,
                               "λ of the sparsity penalty, against the MSE per element of activations normalised to "
                               "mean squared norm d_in (l0, tanh: about 1e-4 to 1e-2; target_l0: about 1).",
                               1.0}
                        .at_least(0));
  options.push_back(
      OptionSpec{"target_l0", OptionType::kFloat, "The L0 that sparsity = \"target_l0\" pulls towards.", 32.0}.above(0));
  options.push_back(OptionSpec{"tanh_scale", OptionType::kFloat, "c of sparsity = \"tanh\".", 4.0}.above(0));
  options.push_back(OptionSpec{"pre_activation_coefficient", OptionType::kFloat,
                               "λ_p of the pre-activation loss λ_p·Σ ReLU(θ − z) of sparsity = \"tanh\" (0: none).",
                               3e-6}
                        .at_least(0));
  options.push_back(OptionSpec{"bandwidth", OptionType::kFloat,
                               "ε of the straight-through estimators' rectangle kernel, in pre-activation units.", 0.001}
                        .above(0));
  options.push_back(
      OptionSpec{"initial_threshold", OptionType::kFloat,
                 "Every feature's threshold θ at the start (unless threshold_from_sample applies).", 0.001}
          .above(0));
  options.push_back(OptionSpec{"threshold_from_sample", OptionType::kBool,
                               "With sparsity = \"target_l0\": every θ starts where a sample's L0 is target_l0, "
                               "so a short run trains at its target from the first step.",
                               true});
  options.push_back(OptionSpec{"threshold_learning_rate_factor", OptionType::kFloat,
                               "The thresholds' learning rate as a multiple of learning_rate (Adam moves θ about "
                               "one learning rate a step, slower than the pre-activations move early on).",
                               10.0}
                        .above(0));
  return dictionary_descriptor(kSaeJumpReLU, "1.0.0",
                               "Sparse autoencoder with JumpReLU activation and learned thresholds.", options);
}

class SaeJumpReLU : public SaePlugin {
 public:
  SaeJumpReLU() : SaePlugin(kSaeJumpReLU) {}
};

}  // namespace

DICTLAB_PLUGIN(SaeJumpReLU, describe)

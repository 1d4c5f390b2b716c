// TopK sparse autoencoder (Gao et al. 2024): exactly k active features per
// activation, and the AuxK loss that lets dead latents learn.
#include "sae_plugin.h"

namespace {

using dictlab::OptionType;
using namespace sparse_autoencoder;

dictlab::PluginDescriptor describe() {
  auto options = common_options();
  options.push_back({"k", OptionType::kInt, "Active features per activation.", std::int64_t{32}});
  options.push_back({"aux_k", OptionType::kInt, "Dead latents used by the AuxK loss.", std::int64_t{256}});
  options.push_back({"aux_coefficient", OptionType::kFloat, "Weight of the AuxK loss.", 1.0 / 32.0});
  return {.name = "sae_topk",
          .version = "1.0.0",
          .summary = "Sparse autoencoder with TopK activation and the AuxK loss.",
          .options = options};
}

class SaeTopK : public SaePlugin {
 protected:
  SaeConfig config(const dictlab::Options& o, std::int64_t d_in) const override {
    if (o.get_int("k") <= 0 || o.get_int("k") > o.get_int("d_sae"))
      throw dictlab::OptionError("k", "must be between 1 and d_sae");
    return {.d_in = d_in, .d_sae = o.get_int("d_sae"), .architecture = "topk", .k = o.get_int("k")};
  }
  TrainerOptions trainer_options(const dictlab::Options& o) const override {
    TrainerOptions t = common_trainer_options(o);
    t.aux_k = o.get_int("aux_k");
    t.aux_coefficient = o.get_float("aux_coefficient");
    return t;
  }
};

}  // namespace

DICTLAB_PLUGIN(SaeTopK, describe)

// Transcoder: TopK features of an MLP's input that predict its output, so
// that the features stand in for the whole MLP (SAELens' transcoders,
// sparsify's --transcode); AuxK against dead latents, an optional skip term.
#include "aux_k.h"
#include "sae_plugin.h"
#include "variants.h"

namespace {

using dictlab::OptionSpec;
using dictlab::OptionType;
using namespace sparse_autoencoder;

dictlab::PluginDescriptor describe() {
  auto options = common_options();
  for (auto& option : options)
    if (option.name == "hook") {
      option.doc = "The hook the transcoder reads: the MLP's input, blocks.L.ln2.hook_normalized.";
      option.default_value = std::string("blocks.0.ln2.hook_normalized");
    }
  options.push_back({"hook_out", OptionType::kString,
                     "The hook whose activations it predicts: the MLP's output, blocks.L.hook_mlp_out.",
                     std::string("blocks.0.hook_mlp_out"), dictlab::OptionRole::kModelHook});
  options.push_back(OptionSpec{"k", OptionType::kInt, "Active features per token.", std::int64_t{32}}.at_least(1));
  options.push_back({"skip", OptionType::kBool,
                     "Add a linear skip term W_skip·x (starting at zero; SAELens' SkipTranscoder).", false});
  for (auto& option : AuxK::options()) options.push_back(std::move(option));
  return dictionary_descriptor(kTranscoder, "1.1.0",
                               "Transcoder: TopK features of the MLP's input that predict its output (replaces the MLP).", options);
}

class TranscoderPlugin : public SaePlugin {
 public:
  TranscoderPlugin() : SaePlugin(kTranscoder) {}
};

}  // namespace

DICTLAB_PLUGIN(TranscoderPlugin, describe)

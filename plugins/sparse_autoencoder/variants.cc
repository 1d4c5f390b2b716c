#include "variants.h"

#include <map>

#include "architectures/architectures.h"
#include "dictlab/errors.h"
#include "sae_plugin.h"

namespace sparse_autoencoder {
namespace {

TrainerOptions with_resampling(const dictlab::Options& o) {
  TrainerOptions t = common_trainer_options(o);
  t.resample_steps = o.get_ints("resample_steps");
  t.resample_window = o.get_int("resample_window");
  return t;
}

std::string no_target(const dictlab::Options&) { return {}; }

std::string mlp_output(const dictlab::Options& o) {
  if (o.get_string("hook_out").empty())
    throw dictlab::OptionError("hook_out", "must name the hook whose activations the transcoder predicts");
  return o.get_string("hook_out");
}

}  // namespace

const Variant& variant_of(std::string_view plugin) {
  static const std::map<std::string_view, Variant, std::less<>> variants = {
      {kSaeL1, {standard_from_options, with_resampling, no_target}},
      {kSaeTopK, {topk_from_options, common_trainer_options, no_target}},
      {kSaeBatchTopK, {batch_topk_from_options, common_trainer_options, no_target}},
      {kSaeMatryoshka, {matryoshka_from_options, common_trainer_options, no_target}},
      {kSaeJumpReLU, {jumprelu_from_options, common_trainer_options, no_target}},
      {kTranscoder, {transcoder_from_options, common_trainer_options, mlp_output}},
  };
  const auto it = variants.find(plugin);
  if (it == variants.end())
    throw dictlab::PluginError("plugin " + std::string(plugin) + " is not a dictionary of the sparse_autoencoder family");
  return it->second;
}

}  // namespace sparse_autoencoder

#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "dictlab/sdk.h"
#include "sae.h"
#include "sae_file.h"
#include "trainer.h"

namespace sparse_autoencoder {

// Options every variant shares.
std::vector<dictlab::OptionSpec> common_options();
TrainerOptions common_trainer_options(const dictlab::Options& options);

// A variant's descriptor: data-parallel, and one pass with the others (the
// options its batches depend on shared).
dictlab::PluginDescriptor dictionary_descriptor(std::string_view name, std::string version, std::string summary,
                                                std::vector<dictlab::OptionSpec> options);

// A dictionary learner plugin around Sae; the variants (variants.h) differ
// in their architecture (sae_l1 in its resampling, transcoder in its target).
class SaePlugin : public dictlab::DictionaryLearner {
 public:
  explicit SaePlugin(std::string_view plugin) : plugin_(plugin) {}
  void train(dictlab::RunContext& context) override;
  void load(const std::filesystem::path& stage_dir, const std::string& device) override;
  dictlab::DictionaryShape shape() const override {
    return {sae_->config.d_in, sae_->config.d_sae, sae_->config.hook_name, sae_->config.hook_name_out,
            sae_->config.d_out};
  }
  void encode(const float* activations, std::int64_t rows, float* features) override;
  void decode(const float* features, std::int64_t rows, float* activations) override;
  void reconstruct(const float* activations, std::int64_t rows, float* output) override;
  void export_bundle(const std::filesystem::path& file) const override { export_sae_bundle(*sae_, file); }

 private:
  torch::Tensor on_device(const float* rows, std::int64_t count, std::int64_t width) const;
  std::string_view plugin_;
  std::optional<Sae> sae_;
};

}  // namespace sparse_autoencoder

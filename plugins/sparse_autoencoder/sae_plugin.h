#pragma once

#include <memory>
#include <optional>

#include "dictlab/sdk.h"
#include "sae.h"
#include "sae_file.h"
#include "trainer.h"

namespace sparse_autoencoder {

// Options every variant shares.
std::vector<dictlab::OptionSpec> common_options();
TrainerOptions common_trainer_options(const dictlab::Options& options);

// A dictionary learner plugin around Sae; the variants differ in their
// architecture (and sae_l1 in its resampling).
class SaePlugin : public dictlab::DictionaryLearner {
 public:
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

 protected:
  virtual std::shared_ptr<Architecture> architecture(const dictlab::Options& options) const = 0;
  virtual TrainerOptions trainer_options(const dictlab::Options& options) const {
    return common_trainer_options(options);
  }
  // The hook whose activations a transcoder predicts from those at `hook`;
  // empty for an SAE, which reconstructs its input.
  virtual std::string target_hook(const dictlab::Options& /*options*/) const { return {}; }

 private:
  torch::Tensor on_device(const float* rows, std::int64_t count, std::int64_t width) const;
  std::optional<Sae> sae_;
};

}  // namespace sparse_autoencoder

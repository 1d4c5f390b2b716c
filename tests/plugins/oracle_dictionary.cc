// A test dictionary whose decoder is the true directions of its
// synthetic_activations input and whose encoder is their pseudo-inverse, so
// that on a world with fewer features than dimensions it recovers the codes
// exactly: the synthetic_features evaluator must then report MCC 1, F1 1.
#include <torch/torch.h>

#include "dictlab/safetensors.h"
#include "dictlab/sdk.h"
#include "ground_truth.h"

namespace {

dictlab::PluginDescriptor describe() {
  return {.name = "test_oracle_dictionary", .version = "1.0.0", .summary = "The true features of a synthetic world."};
}

class OracleDictionary : public dictlab::DictionaryLearner {
 public:
  void train(dictlab::RunContext& context) override {
    for (const auto& input : context.inputs()) {
      if (!synthetic::GroundTruth::exists_in(input.dir)) continue;
      const auto truth = synthetic::GroundTruth::load(input.dir);
      dictlab::SafetensorsWriter writer;
      writer.add_f32("W_dec", {truth.n(), truth.d()}, truth.directions.data());
      writer.add_f32("b_dec", {truth.d()}, truth.bias.data());
      writer.write(context.stage_dir() / "oracle.safetensors");
      return;
    }
    throw dictlab::PluginError("test_oracle_dictionary needs a synthetic_activations input");
  }
  void load(const std::filesystem::path& stage_dir, const std::string&) override {
    const dictlab::SafetensorsFile file(stage_dir / "oracle.safetensors");
    const auto& w = file.tensors().at("W_dec");
    decoder_ = torch::from_blob(const_cast<char*>(w.bytes.data()), w.shape, torch::kFloat32).clone();
    const auto& b = file.tensors().at("b_dec");
    bias_ = torch::from_blob(const_cast<char*>(b.bytes.data()), b.shape, torch::kFloat32).clone();
    encoder_ = at::linalg_pinv(decoder_);  // [d, n]
  }
  dictlab::DictionaryShape shape() const override { return {decoder_.size(1), decoder_.size(0), "synthetic"}; }
  void encode(const float* activations, std::int64_t rows, float* features) override {
    const auto x = torch::from_blob(const_cast<float*>(activations), {rows, decoder_.size(1)});
    const auto codes = torch::matmul(x - bias_, encoder_);
    const auto kept = codes * (codes > 0.1).to(torch::kFloat32);  // float noise is not a firing
    std::memcpy(features, kept.contiguous().data_ptr<float>(), static_cast<std::size_t>(kept.numel()) * sizeof(float));
  }
  void decode(const float* features, std::int64_t rows, float* activations) override {
    const auto codes = torch::from_blob(const_cast<float*>(features), {rows, decoder_.size(0)});
    const auto x = torch::matmul(codes, decoder_) + bias_;
    std::memcpy(activations, x.contiguous().data_ptr<float>(), static_cast<std::size_t>(x.numel()) * sizeof(float));
  }
  void export_bundle(const std::filesystem::path&) const override {
    throw dictlab::PluginError("test_oracle_dictionary has no bundle");
  }

 private:
  torch::Tensor decoder_, bias_, encoder_;
};

}  // namespace

DICTLAB_PLUGIN(OracleDictionary, describe)

// Saved dictionaries carry the activation scale folded into the weights, so
// that SAELens' loader (normalize_activations "none") computes our codes; our
// loader unfolds it back.
#include <gtest/gtest.h>

#include <fstream>

#include "architectures/architectures.h"
#include "dictlab/safetensors.h"
#include "sae_file.h"
#include "test_support.h"

namespace sparse_autoencoder {
namespace {

Sae random_sae() {
  const dictlab::Options options({{"d_sae", std::int64_t{40}}, {"k", std::int64_t{5}}, {"aux_k", std::int64_t{0}},
                                  {"aux_coefficient", 0.0}});
  Sae sae({.d_in = 12, .d_sae = 40, .activation_scale = 2.5, .hook_name = "blocks.3.hook_resid_post"},
          topk_from_options(options));
  torch::NoGradGuard no_grad;
  torch::manual_seed(5);
  sae.W_enc.normal_();
  sae.b_enc.normal_();
  sae.W_dec.normal_();
  sae.normalize_decoder();
  sae.b_dec.normal_();
  return sae;
}

torch::Tensor stored(const dictlab::SafetensorsFile& file, const std::string& name, const torch::Tensor& like) {
  const auto& t = file.get_f32(name, like.sizes().vec());
  return torch::from_blob(const_cast<char*>(t.bytes.data()), like.sizes(), torch::kFloat).clone();
}

TEST(SaeFile, SavedWeightsComputeOurCodesAsSaeLensDoesAndLoadBackUnchanged) {
  dictlab::testing::TempDir dir;
  const Sae sae = random_sae();
  save_sae(sae, dir.path());
  const torch::Tensor x = torch::randn({7, 12});
  torch::NoGradGuard no_grad;
  const torch::Tensor codes = sae.encode(x);
  const torch::Tensor reconstruction = sae.decode(codes);

  // SAELens' standard path with apply_b_dec_to_input: (x − b_dec) W_enc + b_enc.
  const dictlab::SafetensorsFile file(dir / "sae_weights.safetensors");
  const torch::Tensor pre =
      torch::addmm(stored(file, "b_enc", sae.b_enc), x - stored(file, "b_dec", sae.b_dec), stored(file, "W_enc", sae.W_enc));
  const torch::Tensor their_codes = sae.activate(pre);
  const torch::Tensor their_reconstruction =
      torch::addmm(stored(file, "b_dec", sae.b_dec), their_codes, stored(file, "W_dec", sae.W_dec));
  EXPECT_LT((their_codes - codes).abs().max().item<double>(), 1e-5);
  EXPECT_LT((their_reconstruction - reconstruction).abs().max().item<double>(), 1e-5);

  const Sae loaded = load_sae(dir.path());
  EXPECT_EQ(loaded.config.activation_scale, 2.5);
  EXPECT_EQ(loaded.config.hook_name, "blocks.3.hook_resid_post");
  EXPECT_LT((loaded.encode(x) - codes).abs().max().item<double>(), 1e-5);
  EXPECT_LT((loaded.W_dec.norm(2, 1) - 1).abs().max().item<double>(), 1e-5);
}

// A skip transcoder whose input and output scales differ, so that folding
// either into the wrong tensor shows.
Sae random_skip_transcoder() {
  const dictlab::Options options({{"d_sae", std::int64_t{40}}, {"k", std::int64_t{5}}, {"skip", true},
                                  {"aux_k", std::int64_t{0}}, {"aux_coefficient", 0.0}});
  Sae sae({.d_in = 12, .d_sae = 40, .activation_scale = 2.5, .hook_name = "blocks.3.ln2.hook_normalized",
           .d_out = 9, .hook_name_out = "blocks.3.hook_mlp_out", .activation_scale_out = 0.4},
          transcoder_from_options(options));
  torch::NoGradGuard no_grad;
  torch::manual_seed(6);
  sae.W_enc.normal_();
  sae.b_enc.normal_();
  sae.W_dec.normal_();
  sae.normalize_decoder();
  sae.b_dec.normal_();
  sae.extra_parameters.at("W_skip").normal_();
  return sae;
}

TEST(SaeFile, ASavedSkipTranscoderPredictsAsSaeLensSkipTranscoderDoesAndLoadsBack) {
  dictlab::testing::TempDir dir;
  const Sae sae = random_skip_transcoder();
  save_sae(sae, dir.path());
  const torch::Tensor x = torch::randn({7, 12});
  torch::NoGradGuard no_grad;
  const torch::Tensor prediction = sae.forward(x);
  ASSERT_EQ(prediction.size(1), 9);

  // SAELens' SkipTranscoder.forward: the input as it is (no b_dec),
  // relu(topk) codes, decode to d_out, plus x @ W_skip.T.
  const dictlab::SafetensorsFile file(dir / "sae_weights.safetensors");
  const torch::Tensor skip = sae.extra_parameters.at("W_skip");
  const torch::Tensor pre = torch::addmm(stored(file, "b_enc", sae.b_enc), x, stored(file, "W_enc", sae.W_enc));
  auto [values, indices] = pre.topk(5, 1);
  const torch::Tensor codes = torch::zeros_like(pre).scatter(1, indices, torch::relu(values));
  const torch::Tensor theirs = torch::addmm(stored(file, "b_dec", sae.b_dec), codes, stored(file, "W_dec", sae.W_dec)) +
                               torch::mm(x, stored(file, "W_skip", skip).t());
  EXPECT_LT((theirs - prediction).abs().max().item<double>(), 1e-4 * prediction.abs().max().item<double>());
  // Without its skip term the prediction would be far off: the test sees W_skip.
  EXPECT_GT((theirs - torch::addmm(stored(file, "b_dec", sae.b_dec), codes, stored(file, "W_dec", sae.W_dec)))
                .abs().max().item<double>(), 0.1);

  const nlohmann::json cfg = nlohmann::json::parse(std::ifstream(dir / "cfg.json"));
  EXPECT_EQ(cfg["architecture"], "skip_transcoder");
  EXPECT_EQ(cfg["d_in"], 12);
  EXPECT_EQ(cfg["d_out"], 9);
  EXPECT_EQ(cfg["apply_b_dec_to_input"], false);
  EXPECT_EQ(cfg["hook_name"], "blocks.3.ln2.hook_normalized");
  EXPECT_EQ(cfg["hook_name_out"], "blocks.3.hook_mlp_out");

  const Sae loaded = load_sae(dir.path());
  EXPECT_EQ(loaded.config.d_out, 9);
  EXPECT_EQ(loaded.config.activation_scale, 2.5);
  EXPECT_EQ(loaded.config.activation_scale_out, 0.4);
  EXPECT_EQ(loaded.config.hook_name_out, "blocks.3.hook_mlp_out");
  EXPECT_LT((loaded.forward(x) - prediction).abs().max().item<double>(), 1e-4 * prediction.abs().max().item<double>());
  EXPECT_LT((loaded.extra_parameters.at("W_skip") - skip).abs().max().item<double>(), 1e-5);
}

TEST(SaeFile, AnUnknownArchitectureIsRefusedNamingTheKnownOnes) {
  dictlab::testing::TempDir dir;
  dictlab::testing::write_text(dir / "cfg.json", R"({"d_in": 4, "d_sae": 8, "architecture": "gated"})");
  try {
    load_sae(dir.path());
    FAIL() << "loaded an unknown architecture";
  } catch (const dictlab::PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown architecture 'gated' (known: jumprelu, skip_transcoder, standard, topk"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace sparse_autoencoder

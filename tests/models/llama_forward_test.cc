// The llama forward pass on tiny random models, against naive_llama.h's
// loops; the pretrained model against llama.cpp is llama_cpp_agreement_test.cc.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "dictlab/errors.h"
#include "hook_run.h"
#include "llama_forward.h"
#include "naive_llama.h"

namespace {

using gguf_model::LlamaConfig;
using gguf_model::LlamaModel;
using gguf_model::RopeLayout;

naive_llama::Shape tiny_shape() {
  return {.layers = 2, .d_model = 32, .d_mlp = 48, .heads = 4, .kv_heads = 2, .d_head = 8, .vocab = 37,
          .rope_dims = 8, .rope_base = 10000.0, .eps = 1e-5, .rotate_halves = false};
}

LlamaConfig config_of(const naive_llama::Shape& s) {
  LlamaConfig c;
  c.n_layers = s.layers, c.d_model = s.d_model, c.d_mlp = s.d_mlp, c.n_heads = s.heads, c.n_kv_heads = s.kv_heads;
  c.d_head = s.d_head, c.d_vocab = s.vocab, c.context_length = 64, c.rms_norm_eps = s.eps;
  c.rope_base = s.rope_base, c.rope_dims = s.rope_dims;
  c.rope_layout = s.rotate_halves ? RopeLayout::halves : RopeLayout::adjacent_pairs;
  return c;
}

// Random weights by GGUF name in torch's [out, in] order.
std::map<std::string, torch::Tensor> random_tensors(const naive_llama::Shape& s, bool tied, std::uint64_t seed) {
  torch::manual_seed(seed);
  auto matrix = [](std::int64_t out, std::int64_t in) { return torch::randn({out, in}) / std::sqrt(double(in)); };
  auto norm = [](std::int64_t n) { return 1 + 0.3 * torch::randn({n}); };
  std::map<std::string, torch::Tensor> t;
  t["token_embd.weight"] = torch::randn({s.vocab, s.d_model});
  for (int layer = 0; layer < s.layers; ++layer) {
    const std::string p = "blk." + std::to_string(layer) + ".";
    t[p + "attn_norm.weight"] = norm(s.d_model);
    t[p + "attn_q.weight"] = matrix(s.heads * s.d_head, s.d_model) * 2;  // sharper attention than chance
    t[p + "attn_k.weight"] = matrix(s.kv_heads * s.d_head, s.d_model) * 2;
    t[p + "attn_v.weight"] = matrix(s.kv_heads * s.d_head, s.d_model);
    t[p + "attn_output.weight"] = matrix(s.d_model, s.heads * s.d_head);
    t[p + "ffn_norm.weight"] = norm(s.d_model);
    t[p + "ffn_gate.weight"] = matrix(s.d_mlp, s.d_model);
    t[p + "ffn_up.weight"] = matrix(s.d_mlp, s.d_model);
    t[p + "ffn_down.weight"] = matrix(s.d_model, s.d_mlp);
  }
  t["output_norm.weight"] = norm(s.d_model);
  if (!tied) t["output.weight"] = matrix(s.vocab, s.d_model);
  return t;
}

LlamaModel build(const naive_llama::Shape& s, const std::map<std::string, torch::Tensor>& tensors,
                 torch::Dtype dtype = torch::kFloat) {
  const LlamaConfig config = config_of(s);
  return LlamaModel(config, gguf_model::build_llama_weights(config, tensors, "tiny model", dtype));
}

torch::Tensor random_tokens(std::int64_t batch, std::int64_t length, std::int64_t vocab) {
  return torch::randint(vocab, {batch, length}, torch::kLong);
}

// The largest |ours - naive| over a batch.
double max_difference_from_naive(const naive_llama::Shape& s, const std::map<std::string, torch::Tensor>& tensors,
                                 const torch::Tensor& tokens, const torch::Tensor& logits) {
  const naive_llama::Model naive(s, tensors);
  double worst = 0;
  for (std::int64_t b = 0; b < tokens.size(0); ++b) {
    std::vector<long> ids(tokens[b].data_ptr<long>(), tokens[b].data_ptr<long>() + tokens.size(1));
    const auto expected = naive.logits(ids);
    for (std::size_t t = 0; t < ids.size(); ++t)
      for (int v = 0; v < s.vocab; ++v)
        worst = std::max(worst, std::abs(expected[t][v] - logits[b][t][v].item<double>()));
  }
  return worst;
}

TEST(LlamaForward, MatchesNaiveLoopsWithAdjacentPairRope) {
  const auto s = tiny_shape();
  const auto tensors = random_tensors(s, /*tied=*/true, 1);
  const torch::Tensor tokens = random_tokens(3, 11, s.vocab);
  const torch::Tensor logits = build(s, tensors).forward(tokens);
  ASSERT_EQ(logits.sizes(), (std::vector<std::int64_t>{3, 11, s.vocab}));
  EXPECT_LT(max_difference_from_naive(s, tensors, tokens, logits), 1e-4);
}

TEST(LlamaForward, MatchesNaiveLoopsWithHalvesRopeUntiedAndPartialRotation) {
  auto s = tiny_shape();
  s.rotate_halves = true, s.rope_dims = 4, s.rope_base = 500.0;
  const auto tensors = random_tensors(s, /*tied=*/false, 2);
  const torch::Tensor tokens = random_tokens(2, 9, s.vocab);
  EXPECT_LT(max_difference_from_naive(s, tensors, tokens, build(s, tensors).forward(tokens)), 1e-4);
}

// llama.cpp's converter permutes each head's rows of Q and K so that pairs
// (i, i + d/2) become (2i, 2i + 1) (convert_hf_to_gguf.py LlamaModel.permute):
// the halves rotation on the original rows must equal the adjacent-pair
// rotation on the permuted ones.
TEST(LlamaForward, AdjacentPairsOnConvertedWeightsEqualHalvesOnHuggingFaceWeights) {
  auto hf = tiny_shape();
  hf.rotate_halves = true;
  const auto hf_tensors = random_tensors(hf, true, 3);
  auto converted = hf_tensors;
  for (int layer = 0; layer < hf.layers; ++layer)
    for (auto [name, heads] : {std::pair{"attn_q.weight", hf.heads}, std::pair{"attn_k.weight", hf.kv_heads}}) {
      const std::string key = "blk." + std::to_string(layer) + "." + name;
      converted[key] = hf_tensors.at(key)
                           .reshape({heads, 2, hf.d_head / 2, hf.d_model})
                           .swapaxes(1, 2)
                           .reshape({heads * hf.d_head, hf.d_model});
    }
  const torch::Tensor tokens = random_tokens(2, 8, hf.vocab);
  const torch::Tensor from_hf = build(hf, hf_tensors).forward(tokens);
  EXPECT_LT((build(tiny_shape(), converted).forward(tokens) - from_hf).abs().max().item<double>(), 1e-5);
  // The wrong convention on either set of weights is visibly wrong.
  EXPECT_GT((build(tiny_shape(), hf_tensors).forward(tokens) - from_hf).abs().max().item<double>(), 1e-2);
}

TEST(LlamaForward, IncrementalDecodingWithCacheEqualsFullForward) {
  const auto s = tiny_shape();
  const LlamaModel model = build(s, random_tensors(s, true, 4));
  const torch::Tensor tokens = random_tokens(2, 13, s.vocab);
  const torch::Tensor full = model.forward(tokens);
  gguf_model::LlamaCache cache;
  std::vector<torch::Tensor> pieces;
  // A prompt, then one token at a time, then a chunk: every way the cache grows.
  for (auto [first, count] : {std::pair{0, 5}, {5, 1}, {6, 1}, {7, 6}}) {
    pieces.push_back(model.forward(tokens.narrow(1, first, count), &cache));
    EXPECT_EQ(cache.length(), first + count);
  }
  EXPECT_LT((torch::cat(pieces, 1) - full).abs().max().item<double>(), 1e-4);
}

TEST(LlamaForward, HooksSeeEveryPointInOrderAndEditsChangeTheOutput) {
  const auto s = tiny_shape();
  const LlamaModel model = build(s, random_tensors(s, true, 5));
  const torch::Tensor tokens = random_tokens(2, 6, s.vocab);
  std::vector<std::string> names;
  for (const auto& point : model.hook_points()) names.push_back(point.name);
  torch_training::HookRun capture({}, names);
  const torch::Tensor plain = model.forward(tokens, nullptr, &capture);
  capture.check_all_seen(model.hook_points());
  const auto captured = capture.take_captures();
  const auto points = model.hook_points();
  for (std::size_t i = 0; i < points.size(); ++i)
    EXPECT_EQ(captured[i].size(), std::size_t(2 * 6 * points[i].width)) << points[i].name;
  // resid_post of block 0 is resid_pre of block 1; resid_mid = resid_pre + attn_out.
  EXPECT_EQ(captured[6], captured[7]);
  for (std::size_t j = 0; j < captured[0].size(); ++j)
    ASSERT_NEAR(captured[2][j], captured[0][j] + captured[1][j], 1e-5);

  // Zeroing every MLP's output equals the naive model without MLPs.
  dictlab::HookEdits edits;
  auto tensors = random_tensors(s, true, 5);
  for (int layer = 0; layer < s.layers; ++layer) {
    edits.push_back({"blocks." + std::to_string(layer) + ".hook_mlp_out",
                     [](float* a, std::int64_t rows, std::int64_t width) { std::fill(a, a + rows * width, 0.0f); }});
    tensors["blk." + std::to_string(layer) + ".ffn_down.weight"].zero_();
  }
  torch_training::HookRun ablate(edits);
  const torch::Tensor ablated = model.forward(tokens, nullptr, &ablate);
  EXPECT_GT((ablated - plain).abs().max().item<double>(), 0.1);
  EXPECT_LT(max_difference_from_naive(s, tensors, tokens, ablated), 1e-4);
}

TEST(LlamaForward, ResidualStreamStopsAfterTheBlocksAsked) {
  const auto s = tiny_shape();
  const LlamaModel model = build(s, random_tensors(s, true, 8));
  const torch::Tensor tokens = random_tokens(2, 5, s.vocab);
  torch_training::HookRun capture({}, {"blocks.0.hook_resid_post"});
  const torch::Tensor stream = model.residual_stream(tokens, 1, &capture);
  ASSERT_EQ(stream.sizes(), (std::vector<std::int64_t>{2, 5, s.d_model}));
  const auto captured = capture.take_captures()[0];
  EXPECT_TRUE(torch::equal(stream.reshape(-1), torch::tensor(captured)));
  EXPECT_THROW(model.residual_stream(tokens, s.layers + 1), dictlab::PluginError);
}

TEST(LlamaForward, BFloat16WeightsStayCloseToFloat32) {
  const auto s = tiny_shape();
  const auto tensors = random_tensors(s, true, 6);
  const torch::Tensor tokens = random_tokens(2, 7, s.vocab);
  const torch::Tensor exact = build(s, tensors).forward(tokens);
  const torch::Tensor rounded = build(s, tensors, torch::kBFloat16).forward(tokens);
  EXPECT_EQ(rounded.scalar_type(), torch::kFloat);
  // bf16 keeps 8 bits of mantissa: ~0.4% per weight (activations stay float32).
  EXPECT_LT((rounded - exact).abs().max().item<double>(), 0.05 * exact.abs().max().item<double>());
}

TEST(LlamaForward, AMissingOrMisshapenTensorIsNamed) {
  const auto s = tiny_shape();
  auto tensors = random_tensors(s, true, 7);
  tensors.erase("blk.1.ffn_up.weight");
  try {
    build(s, tensors);
    FAIL() << "no error";
  } catch (const dictlab::PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("'blk.1.ffn_up.weight'"), std::string::npos) << e.what();
  }
  tensors = random_tensors(s, true, 7);
  tensors["blk.0.attn_k.weight"] = torch::zeros({s.d_model, s.d_model});
  try {
    build(s, tensors);
    FAIL() << "no error";
  } catch (const dictlab::PluginError& e) {
    EXPECT_NE(std::string(e.what()).find("'blk.0.attn_k.weight' has shape [32, 32] (torch order), expected [16, 32]"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace

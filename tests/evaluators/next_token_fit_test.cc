// Losses and KL divergences of next-token predictions against torch's
// log_softmax, with the clean distribution shared by every edited model.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "next_token_fit.h"

namespace {

std::vector<float> floats(const torch::Tensor& t) {
  const auto c = t.contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

TEST(NextTokenFits, MatchTorchsCrossEntropyAndKlForEveryEditedModel) {
  torch::manual_seed(17);
  const std::int64_t batch = 3, length = 5, vocab = 11;
  const auto clean = torch::randn({batch * length, vocab}) * 3;
  const std::vector<torch::Tensor> edited{clean + 0.5 * torch::randn({batch * length, vocab}),
                                          torch::randn({batch * length, vocab}), clean};
  const auto ids = torch::randint(vocab, {batch * length}, torch::kInt);
  const std::vector<std::int32_t> id_list(ids.data_ptr<std::int32_t>(), ids.data_ptr<std::int32_t>() + ids.numel());
  const dictlab::TokenBatch tokens{id_list.data(), batch, length};

  std::vector<std::vector<float>> edited_logits;
  for (const auto& e : edited) edited_logits.push_back(floats(e));
  const auto fits = sae_metrics::next_token_fits(floats(clean), edited_logits, tokens, vocab);

  // Positions 0..L-2 of each context predict the token after them.
  const auto predicting = torch::arange(batch * length).view({batch, length}).narrow(1, 0, length - 1).reshape(-1);
  const auto targets = ids.to(torch::kLong).index_select(0, predicting + 1);
  auto log_probs = [&](const torch::Tensor& logits) {
    return torch::log_softmax(logits.to(torch::kDouble), 1).index_select(0, predicting);
  };
  auto cross_entropy = [&](const torch::Tensor& logits) {
    return -log_probs(logits).gather(1, targets.unsqueeze(1)).mean().item<double>();
  };
  const auto log_p = log_probs(clean);
  EXPECT_NEAR(fits.clean_loss, cross_entropy(clean), 1e-9);
  ASSERT_EQ(fits.edited.size(), edited.size());
  for (std::size_t e = 0; e < edited.size(); ++e) {
    const double kl = (log_p.exp() * (log_p - log_probs(edited[e]))).sum(1).mean().item<double>();
    EXPECT_NEAR(fits.edited[e].loss, cross_entropy(edited[e]), 1e-9) << e;
    EXPECT_NEAR(fits.edited[e].kl, kl, 1e-9) << e;
  }
  EXPECT_GT(fits.edited[1].kl, fits.edited[0].kl);
  EXPECT_EQ(fits.edited[2].kl, 0.0);
  EXPECT_EQ(fits.edited[2].loss, fits.clean_loss);
}

}  // namespace

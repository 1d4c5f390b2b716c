#include "logit_effects.h"

#include <cstdio>

namespace feature_analysis {

std::vector<LogitEffects> logit_effects(const torch::Tensor& directions, const torch::Tensor& logit_weights,
                                        std::int64_t count, const dictlab::TokenDisplay& tokens) {
  torch::NoGradGuard no_grad;
  const std::int64_t features = directions.size(0);
  count = std::min(count, logit_weights.size(1));
  std::vector<LogitEffects> effects(static_cast<std::size_t>(features));
  // A byte token alone is no character: name it by its bytes, as SentencePiece does.
  auto name = [&](std::int64_t id) {
    const auto shown = tokens.window(std::vector<std::int32_t>{static_cast<std::int32_t>(id)}.data(), 1);
    if (!shown.empty() && shown[0].find("\xEF\xBF\xBD") == std::string::npos) return shown[0];
    std::string bytes;
    char hex[8];
    for (unsigned char byte : tokens.raw(static_cast<std::int32_t>(id))) {
      std::snprintf(hex, sizeof hex, "<0x%02X>", byte);
      bytes += hex;
    }
    return bytes;
  };
  constexpr std::int64_t kChunk = 256;  // bounds the [chunk, vocab] product's memory
  for (std::int64_t start = 0; start < features; start += kChunk) {
    const std::int64_t n = std::min(kChunk, features - start);
    torch::Tensor logits = torch::matmul(directions.narrow(0, start, n), logit_weights);
    logits = logits - std::get<0>(logits.median(1, true));
    const auto [high, high_ids] = logits.topk(count, 1, true);
    const auto [low, low_ids] = logits.topk(count, 1, false);
    const auto high_value = high.accessor<float, 2>(), low_value = low.accessor<float, 2>();
    const auto high_id = high_ids.accessor<std::int64_t, 2>(), low_id = low_ids.accessor<std::int64_t, 2>();
    for (std::int64_t i = 0; i < n; ++i) {
      auto& effect = effects[static_cast<std::size_t>(start + i)];
      for (std::int64_t j = 0; j < count; ++j) {
        effect.positive.emplace_back(name(high_id[i][j]), high_value[i][j]);
        effect.negative.emplace_back(name(low_id[i][j]), low_value[i][j]);
      }
    }
  }
  return effects;
}

}  // namespace feature_analysis

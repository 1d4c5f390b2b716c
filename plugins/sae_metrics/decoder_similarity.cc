#include "decoder_similarity.h"

#include <torch/torch.h>

#include <cmath>

namespace sae_metrics {
namespace {

// Cosine of two rows in double: the float search below only picks the pair.
double abs_cosine(const float* a, const float* b, std::int64_t width) {
  double dot = 0, aa = 0, bb = 0;
  for (std::int64_t j = 0; j < width; ++j) {
    dot += static_cast<double>(a[j]) * b[j];
    aa += static_cast<double>(a[j]) * a[j];
    bb += static_cast<double>(b[j]) * b[j];
  }
  return aa > 0 && bb > 0 ? std::abs(dot) / std::sqrt(aa * bb) : 0.0;
}

}  // namespace

DecoderPair most_similar_rows(const std::vector<float>& rows, std::int64_t count, std::int64_t width,
                              const std::string& device) {
  DecoderPair best;
  if (count < 2) return best;
  torch::NoGradGuard no_grad;
  const auto all = torch::from_blob(const_cast<float*>(rows.data()), {count, width}, torch::kFloat)
                       .to(torch::Device(device));
  // Zero directions stay zero (cosine 0 with everything) instead of NaN.
  const auto unit = all / all.norm(2, {1}, true).clamp_min(1e-30);
  constexpr std::int64_t kChunk = 1024;  // bounds the similarity block to kChunk x count
  float best_found = -1;
  for (std::int64_t start = 0; start < count; start += kChunk) {
    const std::int64_t n = std::min(kChunk, count - start), later = count - start;
    // Rows start.. against rows start..: each pair once, above the diagonal.
    auto similarity = unit.narrow(0, start, n).mm(unit.narrow(0, start, later).t()).abs_();
    const auto on_or_below = torch::ones({n, n}, similarity.options().dtype(torch::kBool)).tril();
    similarity.narrow(1, 0, n).masked_fill_(on_or_below, -1.0f);
    const std::int64_t at = similarity.argmax().item<std::int64_t>();
    const float found = similarity.view(-1)[at].item<float>();
    if (found > best_found) {
      best_found = found;
      best.first = start + at / later;
      best.second = start + at % later;
    }
  }
  best.abs_cosine = abs_cosine(rows.data() + best.first * width, rows.data() + best.second * width, width);
  return best;
}

DecoderPair most_similar_decoder_pair(dictlab::DictionaryLearner& dictionary, const std::string& device) {
  const auto shape = dictionary.shape();
  return most_similar_rows(dictlab::decoder_directions(dictionary), shape.d_sae, shape.d_in, device);
}

}  // namespace sae_metrics

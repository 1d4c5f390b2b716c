#include "next_token_fit.h"

#include <algorithm>
#include <cmath>

namespace sae_metrics {
namespace {

// log-softmax of one row, in double: the KL of nearly equal distributions is
// a difference of nearly equal numbers.
void log_softmax(const float* row, std::int64_t vocab, std::vector<double>& out) {
  out.resize(static_cast<std::size_t>(vocab));
  const double top = *std::max_element(row, row + vocab);
  double sum = 0;
  for (std::int64_t v = 0; v < vocab; ++v) sum += std::exp(static_cast<double>(row[v]) - top);
  const double log_sum = top + std::log(sum);
  for (std::int64_t v = 0; v < vocab; ++v) out[static_cast<std::size_t>(v)] = row[v] - log_sum;
}

}  // namespace

NextTokenFit next_token_fit(const std::vector<float>& logits, const std::vector<float>& reference,
                            const dictlab::TokenBatch& batch, std::int64_t vocab) {
  NextTokenFit fit;
  std::vector<double> log_p, log_q;
  std::int64_t positions = 0;
  for (std::int64_t b = 0; b < batch.batch; ++b) {
    for (std::int64_t t = 0; t + 1 < batch.length; ++t) {
      const std::int64_t row = b * batch.length + t;
      log_softmax(logits.data() + row * vocab, vocab, log_q);
      log_softmax(reference.data() + row * vocab, vocab, log_p);
      fit.loss -= log_q[static_cast<std::size_t>(batch.ids[row + 1])];
      double kl = 0;
      for (std::int64_t v = 0; v < vocab; ++v) {
        const auto i = static_cast<std::size_t>(v);
        kl += std::exp(log_p[i]) * (log_p[i] - log_q[i]);
      }
      fit.kl += kl;
      ++positions;
    }
  }
  if (positions > 0) {
    fit.loss /= static_cast<double>(positions);
    fit.kl /= static_cast<double>(positions);
  }
  return fit;
}

}  // namespace sae_metrics

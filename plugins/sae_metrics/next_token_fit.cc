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

NextTokenFits next_token_fits(const std::vector<float>& clean, std::span<const std::vector<float>> edited,
                              const dictlab::TokenBatch& batch, std::int64_t vocab) {
  NextTokenFits fits;
  fits.edited.resize(edited.size());
  std::vector<double> log_p, p, log_q;
  std::int64_t positions = 0;
  for (std::int64_t b = 0; b < batch.batch; ++b) {
    for (std::int64_t t = 0; t + 1 < batch.length; ++t) {
      const std::int64_t row = b * batch.length + t;
      const auto next = static_cast<std::size_t>(batch.ids[row + 1]);
      log_softmax(clean.data() + row * vocab, vocab, log_p);
      p.resize(log_p.size());
      std::transform(log_p.begin(), log_p.end(), p.begin(), [](double l) { return std::exp(l); });
      fits.clean_loss -= log_p[next];
      for (std::size_t e = 0; e < edited.size(); ++e) {
        log_softmax(edited[e].data() + row * vocab, vocab, log_q);
        double kl = 0;
        for (std::size_t v = 0; v < log_q.size(); ++v) kl += p[v] * (log_p[v] - log_q[v]);
        fits.edited[e].loss -= log_q[next];
        fits.edited[e].kl += kl;
      }
      ++positions;
    }
  }
  if (positions > 0) {
    const auto n = static_cast<double>(positions);
    fits.clean_loss /= n;
    for (auto& fit : fits.edited) {
      fit.loss /= n;
      fit.kl /= n;
    }
  }
  return fits;
}

}  // namespace sae_metrics

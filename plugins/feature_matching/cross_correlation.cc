#include "cross_correlation.h"

#include <algorithm>

namespace feature_matching {

CrossCorrelation::CrossCorrelation(std::int64_t a_width, std::int64_t b_width)
    : sum_a_(torch::zeros({a_width}, torch::kDouble)),
      sum_b_(torch::zeros({b_width}, torch::kDouble)),
      squares_a_(torch::zeros({a_width}, torch::kDouble)),
      squares_b_(torch::zeros({b_width}, torch::kDouble)),
      cross_(torch::zeros({a_width, b_width}, torch::kDouble)) {}

void CrossCorrelation::add(const torch::Tensor& a, const torch::Tensor& b) {
  torch::NoGradGuard no_grad;
  // One chunk's products in float (a few thousand terms each), summed across
  // chunks in double.
  cross_ += torch::mm(a.t(), b).to(torch::kDouble);
  sum_a_ += a.sum(0).to(torch::kDouble);
  sum_b_ += b.sum(0).to(torch::kDouble);
  squares_a_ += a.pow(2).sum(0).to(torch::kDouble);
  squares_b_ += b.pow(2).sum(0).to(torch::kDouble);
  rows_ += static_cast<double>(a.size(0));
}

void CrossCorrelation::sum_over(dictlab::Collectives& ranks) {
  if (ranks.world_size() == 1) return;
  std::vector<torch::Tensor> sums = {sum_a_, sum_b_, squares_a_, squares_b_, cross_,
                                     torch::full({1}, rows_, torch::kDouble)};
  ranks.sum(sums);
  rows_ = sums.back().item<double>();
}

CrossCorrelation::Matches CrossCorrelation::best_matches() const {
  torch::NoGradGuard no_grad;
  const torch::Tensor mean_a = sum_a_ / rows_, mean_b = sum_b_ / rows_;
  const torch::Tensor std_a = (squares_a_ / rows_ - mean_a.pow(2)).clamp_min(0).sqrt();
  const torch::Tensor std_b = (squares_b_ / rows_ - mean_b.pow(2)).clamp_min(0).sqrt();
  constexpr double kConstant = 1e-12;  // below this a column did not vary
  Matches matches{torch::empty({sum_a_.size(0)}, torch::kLong), torch::empty({sum_a_.size(0)}, torch::kDouble),
                  std_a > kConstant};
  // A few rows of A at a time: the whole [a_width, b_width] matrix in double,
  // with its temporaries, would be several GiB for the largest dictionaries.
  constexpr std::int64_t kChunk = 512;
  for (std::int64_t start = 0; start < sum_a_.size(0); start += kChunk) {
    const std::int64_t n = std::min(kChunk, sum_a_.size(0) - start);
    const torch::Tensor covariance = cross_.narrow(0, start, n) / rows_ - torch::outer(mean_a.narrow(0, start, n), mean_b);
    const torch::Tensor scale = torch::outer(std_a.narrow(0, start, n), std_b);
    const torch::Tensor correlation =
        torch::where(scale > kConstant, covariance / scale.clamp_min(kConstant), torch::zeros_like(scale));
    auto [best, index] = correlation.max(1);
    matches.index.narrow(0, start, n).copy_(index);
    matches.correlation.narrow(0, start, n).copy_(best);
  }
  return matches;
}

}  // namespace feature_matching

#pragma once

// P(ε > u) for ε ~ N(0, 1), from a table with linear interpolation; exact
// (erfc) only where a uniform draw lands too near the tabulated value to be
// sure, so that `exceeds(u, U)` is decided as by the exact tail. This is the
// copula's per-feature test, and far cheaper than drawing a normal for each
// of 16k features per sample.

#include <cmath>
#include <vector>

namespace synthetic {

class NormalTail {
 public:
  NormalTail() : table_(kBins + 2) {
    for (int k = 0; k <= kBins + 1; ++k) table_[static_cast<std::size_t>(k)] = exact(kLow + k * kStep);
  }

  static double exact(double u) { return 0.5 * std::erfc(u / std::sqrt(2.0)); }

  // Whether a normal draw exceeds u, given U uniform in [0, 1): U < P(ε > u).
  bool exceeds(double u, double uniform) const {
    const double x = (u - kLow) * kInverseStep;
    if (!(x >= 0 && x < kBins)) return uniform < exact(u);  // far tails (and NaN): rare
    const int k = static_cast<int>(x);
    const double frac = x - k;
    const double tail = table_[static_cast<std::size_t>(k)] * (1 - frac) + table_[static_cast<std::size_t>(k + 1)] * frac;
    if (uniform < tail - kMargin) return true;
    if (uniform >= tail + kMargin) return false;
    return uniform < exact(u);
  }

 private:
  static constexpr int kBins = 8192;
  static constexpr double kLow = -8.5, kStep = 17.0 / kBins, kInverseStep = kBins / 17.0;
  // Interpolation error is below h²/8 · max|Q''| ≈ 1.3e-7; the margin is well clear of it.
  static constexpr double kMargin = 1e-6;
  std::vector<double> table_;
};

}  // namespace synthetic

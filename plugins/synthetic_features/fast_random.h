#pragma once

// A small, fast generator whose state comes from (seed, stream, index) alone,
// so that sample i of a stream is the same whichever shard, thread or resumed
// run draws it. xoshiro256** (Blackman & Vigna) seeded through splitmix64.

#include <cmath>
#include <cstdint>

namespace synthetic {

inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

class FastRandom {
 public:
  FastRandom(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
    std::uint64_t mix = seed;
    mix = splitmix64(mix) ^ (stream * 0xd1342543de82ef95ull);
    mix = splitmix64(mix) ^ index;
    for (auto& word : s_) word = splitmix64(mix);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // In [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n) { return static_cast<std::uint64_t>(uniform() * static_cast<double>(n)); }
  // Standard normal (Marsaglia's polar method; the spare is kept).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double factor = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * factor;
    has_spare_ = true;
    return u * factor;
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// Φ⁻¹(p), the standard normal quantile (Acklam's rational approximation
// refined by one Halley step on erfc: about 1e-15 relative error).
double normal_quantile(double p);

}  // namespace synthetic

#include "vector_kernels.h"

#include <cmath>
#include <cstring>
#include <algorithm>
#include <limits>

// The helpers below pass 32-byte vectors by value; they are inlined into each
// clone, so the baseline ABI GCC warns about never applies.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace sparse_autoencoder {
namespace {

// GCC vector extensions: 8 floats, one AVX register or two SSE ones.
typedef float Floats8 __attribute__((vector_size(32)));

inline Floats8 load(const float* p) {
  Floats8 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store(float* p, Floats8 v) { std::memcpy(p, &v, sizeof v); }

}  // namespace

#if defined(__x86_64__) && defined(__GNUC__)
#define DICTLAB_VECTOR_KERNEL __attribute__((target_clones("avx2,fma", "default")))
#else
#define DICTLAB_VECTOR_KERNEL
#endif

DICTLAB_VECTOR_KERNEL float dot(const float* a, const float* b, std::int64_t n) {
  // Two accumulators hide the FMA latency.
  Floats8 s0 = {}, s1 = {};
  std::int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    s0 += load(a + i) * load(b + i);
    s1 += load(a + i + 8) * load(b + i + 8);
  }
  for (; i + 8 <= n; i += 8) s0 += load(a + i) * load(b + i);
  const Floats8 s = s0 + s1;
  float sum = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

DICTLAB_VECTOR_KERNEL void axpy(float alpha, const float* x, float* y, std::int64_t n) {
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) store(y + i, load(y + i) + alpha * load(x + i));
  for (; i < n; ++i) y[i] += alpha * x[i];
}

DICTLAB_VECTOR_KERNEL std::int64_t count_positive(const float* x, std::int64_t n) {
  typedef int Ints8 __attribute__((vector_size(32)));
  Ints8 counts = {};
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) counts -= load(x + i) > Floats8{};  // a true lane is -1
  std::int64_t count = 0;
  for (int lane = 0; lane < 8; ++lane) count += counts[lane];
  for (; i < n; ++i) count += x[i] > 0;
  return count;
}

DICTLAB_VECTOR_KERNEL void group_maxima(const float* x, std::int64_t n, std::int64_t group, float* out) {
  constexpr float lowest = -std::numeric_limits<float>::infinity();
  std::int64_t g = 0, i = 0;
  if (group % 8 == 0)
    for (; i + group <= n; i += group, ++g) {
      Floats8 m = lowest - Floats8{};
      for (std::int64_t j = 0; j < group; j += 8) {
        const Floats8 v = load(x + i + j);
        m = v > m ? v : m;
      }
      float best = lowest;
      for (int lane = 0; lane < 8; ++lane) best = m[lane] > best ? m[lane] : best;
      out[g] = best;
    }
  for (; i < n; i += group, ++g) {
    float best = lowest;
    for (std::int64_t j = i; j < std::min(n, i + group); ++j) best = x[j] > best ? x[j] : best;
    out[g] = best;
  }
}

DICTLAB_VECTOR_KERNEL void adam_update(float* w, const float* g, float* m, float* v, std::int64_t n,
                                    const AdamConstants& c) {
  const float beta1 = c.beta1, beta2 = c.beta2, one_minus_beta1 = 1 - c.beta1, one_minus_beta2 = 1 - c.beta2;
  for (std::int64_t i = 0; i < n; ++i) {
    m[i] = beta1 * m[i] + one_minus_beta1 * g[i];
    v[i] = beta2 * v[i] + one_minus_beta2 * g[i] * g[i];
    w[i] -= c.step_size * m[i] / (std::sqrt(v[i]) * c.inverse_sqrt_bias_correction2 + c.eps);
  }
}

}  // namespace sparse_autoencoder

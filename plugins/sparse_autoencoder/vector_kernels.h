#pragma once

#include <cstdint>

namespace sparse_autoencoder {

// The loops the SAE training step is made of. The build targets baseline
// x86-64 (SSE2), so these are compiled twice, for AVX2+FMA and the baseline,
// and the loader picks the one the CPU runs (GCC target_clones).
float dot(const float* a, const float* b, std::int64_t n);
void axpy(float alpha, const float* x, float* y, std::int64_t n);  // y += alpha·x
std::int64_t count_positive(const float* x, std::int64_t n);
// out[g] = the largest of x[g·group, min(n, (g+1)·group)), NaN counting as
// −∞ (so that no NaN ever reaches a comparison-based selection).
void group_maxima(const float* x, std::int64_t n, std::int64_t group, float* out);

// Adam's update of n parameters in one pass (LibTorch's takes about ten):
// m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; w ← w − step_size·m / (√v·c + ε).
struct AdamConstants {
  float beta1, beta2, step_size, inverse_sqrt_bias_correction2, eps;
};
void adam_update(float* w, const float* g, float* m, float* v, std::int64_t n, const AdamConstants& c);

}  // namespace sparse_autoencoder

#include "single_threaded_blas.h"

// Weak: resolved only when the OpenBLAS that LibTorch loaded is there.
extern "C" int openblas_get_num_threads() __attribute__((weak));
extern "C" void openblas_set_num_threads(int threads) __attribute__((weak));

namespace sparse_autoencoder {

SingleThreadedBlas::SingleThreadedBlas() {
  if (openblas_get_num_threads == nullptr || openblas_set_num_threads == nullptr) return;
  previous_ = openblas_get_num_threads();
  if (previous_ > 1) openblas_set_num_threads(1);
}

SingleThreadedBlas::~SingleThreadedBlas() {
  if (previous_ > 1) openblas_set_num_threads(previous_);
}

}  // namespace sparse_autoencoder

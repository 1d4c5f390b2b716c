#include "parallel_matmul.h"

#include <ATen/Parallel.h>

// Weak: resolved only when the OpenBLAS that LibTorch loaded is there.
extern "C" int openblas_get_num_threads() __attribute__((weak));
extern "C" void openblas_set_num_threads(int threads) __attribute__((weak));

namespace gguf_model {

OpenBlasOnCallingThread::OpenBlasOnCallingThread() {
  if (openblas_get_num_threads == nullptr || openblas_set_num_threads == nullptr) return;
  previous_ = openblas_get_num_threads();
  if (previous_ > 1) openblas_set_num_threads(1);
}

OpenBlasOnCallingThread::~OpenBlasOnCallingThread() {
  if (previous_ > 1) openblas_set_num_threads(previous_);
}

torch::Tensor parallel_matmul(const torch::Tensor& x, const torch::Tensor& w) {
  const std::int64_t rows = x.size(0);
  torch::Tensor out = torch::empty({rows, w.size(1)}, x.options());
  // Below ~32 rows a GEMM is bound by reading w; splitting it gains nothing.
  const std::int64_t threads = at::get_num_threads();
  const std::int64_t grain = std::max<std::int64_t>(32, (rows + threads - 1) / threads);
  at::parallel_for(0, rows, grain, [&](std::int64_t begin, std::int64_t end) {
    c10::InferenceMode inference;  // thread-local: the caller's does not reach OpenMP's workers
    torch::Tensor part = out.narrow(0, begin, end - begin);
    at::mm_out(part, x.narrow(0, begin, end - begin), w);
  });
  return out;
}

void parallel_over(std::int64_t n, const std::function<void(std::int64_t)>& body) {
  at::parallel_for(0, n, 1, [&](std::int64_t begin, std::int64_t end) {
    c10::InferenceMode inference;
    for (std::int64_t i = begin; i < end; ++i) body(i);
  });
}

}  // namespace gguf_model

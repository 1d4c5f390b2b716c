#pragma once

#include <torch/torch.h>

#include <functional>

namespace gguf_model {

// One pool of threads for the forward pass, OpenMP's (torch::set_num_threads):
// while alive, OpenBLAS runs each call on its calling thread alone. Left to
// itself it would run every GEMM on its own worker threads, which spin for
// ~0.1 s after each call and fight OpenMP's for the same cores: on 2 cores
// that made a forward pass 5-8x slower than either pool alone (measured,
// tests/benchmarks/llama_forward_bench). The same idea as
// sparse_autoencoder's SingleThreadedBlas. No effect when LibTorch's BLAS is
// not OpenBLAS.
class OpenBlasOnCallingThread {
 public:
  OpenBlasOnCallingThread();
  ~OpenBlasOnCallingThread();
  OpenBlasOnCallingThread(const OpenBlasOnCallingThread&) = delete;
  OpenBlasOnCallingThread& operator=(const OpenBlasOnCallingThread&) = delete;

 private:
  int previous_ = 0;
};

// x [rows, in] @ w [in, out] (both contiguous) with the rows shared among
// OpenMP's threads, one single-threaded GEMM each.
torch::Tensor parallel_matmul(const torch::Tensor& x, const torch::Tensor& w);

// Runs body(i) for i in [0, n) on OpenMP's threads; ops inside run serially.
void parallel_over(std::int64_t n, const std::function<void(std::int64_t)>& body);

}  // namespace gguf_model

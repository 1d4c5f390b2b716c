#pragma once

namespace sparse_autoencoder {

// While alive, OpenBLAS runs each call on the calling thread alone, so that
// a step can run one GEMM per OpenMP thread, each followed by work on its
// own output while that is in cache. This also keeps OpenBLAS's worker
// threads asleep: after a multi-threaded call they spin for about 0.1 s,
// and on a 2-core machine that spinning halves the speed of the OpenMP
// loops that follow. Where LibTorch's BLAS is not OpenBLAS, active() is
// false and nothing changes.
class SingleThreadedBlas {
 public:
  SingleThreadedBlas();
  ~SingleThreadedBlas();
  SingleThreadedBlas(const SingleThreadedBlas&) = delete;
  SingleThreadedBlas& operator=(const SingleThreadedBlas&) = delete;
  bool active() const { return previous_ > 0; }

 private:
  int previous_ = 0;
};

}  // namespace sparse_autoencoder

#pragma once

// Samples are independent by construction, so a batch is split evenly over
// threads, each with its own workspace; results do not depend on the count.

#include <algorithm>
#include <cstdint>
#include <thread>
#include <vector>

#include "sample_generator.h"

namespace synthetic {

inline unsigned sample_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

// Fills activations [count, d] (and codes, when given) with samples
// first..first+count of `stream`.
inline void generate_samples(const SampleGenerator& generator, std::uint64_t stream, std::uint64_t first,
                             std::int64_t count, std::int64_t d, float* activations,
                             std::vector<SparseCode>* codes = nullptr) {
  if (codes) codes->resize(static_cast<std::size_t>(count));
  const auto threads = static_cast<std::int64_t>(std::min<std::int64_t>(sample_threads(), std::max<std::int64_t>(1, count / 64)));
  auto work = [&](std::int64_t begin, std::int64_t end) {
    auto workspace = generator.workspace();
    SparseCode local;
    for (std::int64_t r = begin; r < end; ++r) {
      SparseCode& code = codes ? (*codes)[static_cast<std::size_t>(r)] : local;
      generator.codes(stream, first + static_cast<std::uint64_t>(r), workspace, code);
      generator.activation(code, activations + r * d);
    }
  };
  std::vector<std::jthread> pool;
  for (std::int64_t t = 1; t < threads; ++t) pool.emplace_back(work, count * t / threads, count * (t + 1) / threads);
  work(0, count / threads);
}

}  // namespace synthetic

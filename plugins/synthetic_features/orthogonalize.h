#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace synthetic {

// SynthSAEBench's orthogonalize_embeddings: Adam on
//   Σ_{i≠j} (e_i·e_j)² + n Σ_i (|e_i|² − 1)²
// for `steps` steps from the given rows, then every row renormalised to unit
// length. Rows are [n, d] row-major; done in row chunks to bound memory.
void orthogonalize(std::vector<float>& rows, std::int64_t n, std::int64_t d, std::int64_t steps, double lr,
                   const std::function<void(std::int64_t, std::int64_t)>& progress = {});

}  // namespace synthetic

#include "batch_top_k.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "architectures/jump_relu.h"
#include "sae.h"

namespace sparse_autoencoder {
namespace {

// Rows encoded again at a time: bounds the pre-activations held at once.
constexpr std::int64_t kReencodedRowsPerGemm = 64;

// The `rank`-th largest of `values` (1-based), or 0 when there are no more
// than `rank` of them (every positive value is then kept).
float cut_of(const std::vector<float>& values, std::int64_t rank) {
  if (static_cast<std::int64_t>(values.size()) <= rank) return 0.0f;
  std::vector<float> copy(values);
  const auto nth = copy.begin() + (rank - 1);
  std::nth_element(copy.begin(), nth, copy.end(), std::greater<float>());
  return *nth;
}

// The rows whose candidates might not be all of their entries above `cut`:
// every candidate of theirs reached it.
std::vector<std::int64_t> rows_to_encode_again(const SparseCodes& candidates, std::int64_t per_row, float cut) {
  std::vector<std::int64_t> rows;
  for (std::int64_t r = 0; r < candidates.rows(); ++r) {
    const std::int64_t first = candidates.row_start[r], last = candidates.row_start[r + 1];
    if (last - first < per_row) continue;
    if (*std::min_element(candidates.value.begin() + first, candidates.value.begin() + last) >= cut) rows.push_back(r);
  }
  return rows;
}

// Every positive entry at or above `cut` of each of `rows`, by row.
std::vector<std::vector<Pick>> entries_above(const Sae& sae, const torch::Tensor& encoder_input,
                                             const std::vector<std::int64_t>& rows, float cut) {
  torch::NoGradGuard no_grad;
  std::vector<std::vector<Pick>> entries(rows.size());
  const std::int64_t d_sae = sae.config.d_sae;
  for (std::size_t first = 0; first < rows.size(); first += kReencodedRowsPerGemm) {
    const std::size_t last = std::min(rows.size(), first + kReencodedRowsPerGemm);
    const torch::Tensor index =
        torch::tensor(std::vector<std::int64_t>(rows.begin() + first, rows.begin() + last), torch::kLong);
    const torch::Tensor pre = torch::addmm(sae.b_enc, encoder_input.index_select(0, index), sae.W_enc).contiguous();
    const float* p = pre.data_ptr<float>();
    for (std::size_t i = first; i < last; ++i, p += d_sae)
      for (std::int64_t j = 0; j < d_sae; ++j)
        if (p[j] > 0 && p[j] >= cut) entries[i].emplace_back(p[j], static_cast<std::int32_t>(j));
  }
  return entries;
}

// `candidates` with the rows in `rows` replaced by `entries`.
SparseCodes replaced(const SparseCodes& candidates, const std::vector<std::int64_t>& rows,
                     const std::vector<std::vector<Pick>>& entries) {
  SparseCodes pool;
  pool.row_start.push_back(0);
  std::size_t next = 0;
  for (std::int64_t r = 0; r < candidates.rows(); ++r) {
    if (next < rows.size() && rows[next] == r) {
      for (const Pick& pick : entries[next]) {
        pool.value.push_back(pick.first);
        pool.feature.push_back(pick.second);
      }
      ++next;
    } else {
      const std::int64_t first = candidates.row_start[r], last = candidates.row_start[r + 1];
      pool.value.insert(pool.value.end(), candidates.value.begin() + first, candidates.value.begin() + last);
      pool.feature.insert(pool.feature.end(), candidates.feature.begin() + first, candidates.feature.begin() + last);
    }
    pool.row_start.push_back(static_cast<std::int64_t>(pool.value.size()));
  }
  return pool;
}

// The entries of `pool` above `cut`, then those equal to it in pool order
// until `quota` are kept (ties are measure-zero in training, but the choice
// must still be deterministic).
SparseCodes kept(const SparseCodes& pool, float cut, std::int64_t quota) {
  std::int64_t ties_allowed = quota;
  for (float v : pool.value) ties_allowed -= v > cut;
  SparseCodes codes;
  codes.row_start.push_back(0);
  for (std::int64_t r = 0; r < pool.rows(); ++r) {
    for (std::int64_t i = pool.row_start[r]; i < pool.row_start[r + 1]; ++i) {
      const float v = pool.value[i];
      if (v > cut || (v == cut && ties_allowed-- > 0)) {
        codes.value.push_back(v);
        codes.feature.push_back(pool.feature[i]);
      }
    }
    codes.row_start.push_back(static_cast<std::int64_t>(codes.value.size()));
  }
  codes.grad.assign(codes.value.size(), 0.0f);
  return codes;
}

}  // namespace

BatchTopKSelection::BatchTopKSelection(std::int64_t k, std::int64_t d_sae)
    : k_(k), per_row_(std::min(kCandidatesPerK * k, d_sae)), rows_can_overflow_(per_row_ < d_sae) {}

RowSelector BatchTopKSelection::candidates() const { return top_k_entries(per_row_); }

SparseCodes BatchTopKSelection::select(const Sae& sae, const torch::Tensor& encoder_input,
                                       const SparseCodes& candidates) const {
  const std::int64_t quota = k_ * candidates.rows();
  float cut = cut_of(candidates.value, quota);
  const std::vector<std::int64_t> rows =
      rows_can_overflow_ ? rows_to_encode_again(candidates, per_row_, cut) : std::vector<std::int64_t>{};
  if (rows.empty()) return kept(candidates, cut, quota);
  const SparseCodes pool = replaced(candidates, rows, entries_above(sae, encoder_input, rows, cut));
  return kept(pool, cut_of(pool.value, quota), quota);
}

torch::Tensor BatchTopKSelection::dense(const torch::Tensor& pre) const {
  const torch::Tensor flat = torch::relu(pre).flatten();
  auto [values, indices] = flat.topk(std::min(k_ * pre.size(0), flat.numel()));
  return torch::zeros_like(flat).scatter(0, indices, values).view(pre.sizes());
}

std::optional<float> smallest_code(const SparseCodes& codes) {
  if (codes.value.empty()) return std::nullopt;
  return *std::min_element(codes.value.begin(), codes.value.end());
}

std::optional<float> smallest_code(const torch::Tensor& codes) {
  torch::NoGradGuard no_grad;
  const torch::Tensor positive = codes.masked_select(codes > 0);
  if (positive.numel() == 0) return std::nullopt;
  return positive.min().item<float>();
}

void RunningThreshold::update(Sae& sae, std::int64_t step) {
  const std::optional<float> smallest = std::exchange(observed_, std::nullopt);
  if (step < start_ || !smallest) return;
  torch::NoGradGuard no_grad;
  torch::Tensor threshold = sae.state.at("threshold");
  const double old = threshold[0].item<double>();
  const double updated = old == 0 ? *smallest : beta_ * old + (1 - beta_) * static_cast<double>(*smallest);
  threshold.fill_(updated);
}

}  // namespace sparse_autoencoder

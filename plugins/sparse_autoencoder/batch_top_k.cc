#include "batch_top_k.h"

#include <algorithm>
#include <cmath>
#include <limits>
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

// The `rank`-th largest of every rank's `values`. Only a rank's own `rank`
// largest can be among the batch's, so no more than those travel.
float batch_cut_of(std::vector<float> values, std::int64_t rank, const SparseStepWorkspace& workspace) {
  if (!workspace.ranks) return cut_of(values, rank);
  if (static_cast<std::int64_t>(values.size()) > rank) {
    std::nth_element(values.begin(), values.begin() + (rank - 1), values.end(), std::greater<float>());
    values.resize(static_cast<std::size_t>(rank));
  }
  const torch::Tensor all = workspace.batch_values(torch::from_blob(values.data(), {static_cast<std::int64_t>(values.size())}, torch::kFloat).clone());
  return cut_of(std::vector<float>(all.data_ptr<float>(), all.data_ptr<float>() + all.numel()), rank);
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

// How many of this rank's `ties` entries equal to the cut may be kept:
// `quota` less the batch's entries above it (this rank's: `above`), handed
// out in row order (rank order across ranks), as one process would hand
// them out.
std::int64_t ties_allowed(std::int64_t above, std::int64_t ties, std::int64_t quota,
                          const SparseStepWorkspace& workspace) {
  if (!workspace.ranks) return quota - above;
  const auto counts = workspace.ranks->all_gather(torch::tensor({above, ties}, torch::kLong));
  std::int64_t left = quota;
  for (std::size_t r = 0; r < counts.size(); ++r) left -= counts[r][0].item<std::int64_t>();
  for (int r = 0; r < workspace.ranks->rank(); ++r) left -= counts[static_cast<std::size_t>(r)][1].item<std::int64_t>();
  return std::max<std::int64_t>(left, 0);
}

// The entries of `pool` above `cut`, then those equal to it in pool order
// until `quota` are kept (rows can repeat in a batch, so ties happen, and the
// choice must be deterministic).
SparseCodes kept(const SparseCodes& pool, float cut, std::int64_t quota, const SparseStepWorkspace& workspace) {
  std::int64_t above = 0, ties = 0;
  for (float v : pool.value) {
    above += v > cut;
    ties += v == cut;
  }
  std::int64_t ties_left = ties_allowed(above, ties, quota, workspace);
  SparseCodes codes;
  codes.row_start.push_back(0);
  for (std::int64_t r = 0; r < pool.rows(); ++r) {
    for (std::int64_t i = pool.row_start[r]; i < pool.row_start[r + 1]; ++i) {
      const float v = pool.value[i];
      if (v > cut || (v == cut && ties_left-- > 0)) {
        codes.value.push_back(v);
        codes.feature.push_back(pool.feature[i]);
      }
    }
    codes.row_start.push_back(static_cast<std::int64_t>(codes.value.size()));
  }
  codes.grad.assign(codes.value.size(), 0.0f);
  return codes;
}

// Which of this rank's entries of `flat` (relu'd pre-activations) are among
// the `quota` largest of every rank's, ties handed out as `kept` hands them.
torch::Tensor kept_across_ranks(const torch::Tensor& flat, std::int64_t quota, const SparseStepWorkspace& workspace) {
  torch::NoGradGuard no_grad;
  // Only a rank's own `quota` largest can be among the batch's.
  const torch::Tensor mine = std::get<0>(flat.topk(std::min(quota, flat.numel()))).cpu();
  const torch::Tensor all = workspace.batch_values(mine);
  if (all.numel() <= quota) return flat > 0;  // every positive entry is kept
  const float cut = std::get<0>(all.topk(quota))[quota - 1].item<float>();
  if (cut <= 0) return flat > 0;
  const torch::Tensor above = flat > cut, ties = flat == cut;
  const std::int64_t tie_count = ties.sum().item<std::int64_t>();
  const std::int64_t allowed =
      std::min(tie_count, ties_allowed(above.sum().item<std::int64_t>(), tie_count, quota, workspace));
  if (allowed <= 0) return above;
  return above.index_fill(0, ties.nonzero().flatten().narrow(0, 0, allowed), true);
}

// The smallest of every rank's `smallest`, none when it is infinite (no
// rank kept a code).
std::optional<float> batch_smallest(float smallest, const SparseStepWorkspace& workspace) {
  if (workspace.ranks) {
    std::vector<torch::Tensor> one = {torch::full({1}, smallest, torch::kFloat)};
    workspace.ranks->min(one);
    smallest = one[0].item<float>();
  }
  if (std::isinf(smallest)) return std::nullopt;
  return smallest;
}

}  // namespace

BatchTopKSelection::BatchTopKSelection(std::int64_t k, std::int64_t d_sae)
    : k_(k), per_row_(std::min(kCandidatesPerK * k, d_sae)), rows_can_overflow_(per_row_ < d_sae) {}

RowSelector BatchTopKSelection::candidates() const { return top_k_entries(per_row_); }

SparseCodes BatchTopKSelection::select(const Sae& sae, const torch::Tensor& encoder_input,
                                       const SparseCodes& candidates, const SparseStepWorkspace& workspace) const {
  const auto quota = static_cast<std::int64_t>(workspace.batch_sum(static_cast<double>(k_ * candidates.rows())));
  float cut = batch_cut_of(candidates.value, quota, workspace);
  const std::vector<std::int64_t> rows =
      rows_can_overflow_ ? rows_to_encode_again(candidates, per_row_, cut) : std::vector<std::int64_t>{};
  if (workspace.batch_sum(static_cast<double>(rows.size())) == 0) return kept(candidates, cut, quota, workspace);
  const SparseCodes pool = replaced(candidates, rows, entries_above(sae, encoder_input, rows, cut));
  return kept(pool, batch_cut_of(pool.value, quota, workspace), quota, workspace);
}

torch::Tensor BatchTopKSelection::dense(const torch::Tensor& pre, const SparseStepWorkspace& workspace) const {
  const torch::Tensor flat = torch::relu(pre).flatten();
  if (!workspace.ranks) {
    auto [values, indices] = flat.topk(std::min(k_ * pre.size(0), flat.numel()));
    return torch::zeros_like(flat).scatter(0, indices, values).view(pre.sizes());
  }
  const auto quota = static_cast<std::int64_t>(workspace.batch_sum(static_cast<double>(k_ * pre.size(0))));
  return torch::where(kept_across_ranks(flat, quota, workspace), flat, torch::zeros_like(flat)).view(pre.sizes());
}

std::optional<float> smallest_code(const SparseCodes& codes, const SparseStepWorkspace& workspace) {
  return batch_smallest(codes.value.empty() ? std::numeric_limits<float>::infinity()
                                            : *std::min_element(codes.value.begin(), codes.value.end()),
                        workspace);
}

std::optional<float> smallest_code(const torch::Tensor& codes, const SparseStepWorkspace& workspace) {
  torch::NoGradGuard no_grad;
  const torch::Tensor positive = codes.masked_select(codes > 0);
  return batch_smallest(positive.numel() == 0 ? std::numeric_limits<float>::infinity() : positive.min().item<float>(),
                        workspace);
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

#include "intruder.h"

#include <algorithm>
#include <cctype>
#include <numeric>
#include <random>

#include "scoring.h"

namespace label_scores {
namespace {

}  // namespace

std::vector<IntruderTrial> intruder_trials(const std::vector<std::string>& activating,
                                           const std::vector<std::string>& silent, int trials, int activating_shown,
                                           std::uint64_t seed) {
  std::vector<IntruderTrial> out;
  if (activating_shown < 1 || static_cast<int>(activating.size()) < activating_shown || silent.empty()) return out;
  std::mt19937_64 random(mix(seed));
  std::vector<std::size_t> order(activating.size());
  for (int t = 0; t < trials; ++t) {
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), random);
    IntruderTrial trial;
    for (int i = 0; i < activating_shown; ++i) trial.contexts.push_back(activating[order[static_cast<std::size_t>(i)]]);
    const auto at = static_cast<std::size_t>(random() % static_cast<std::uint64_t>(activating_shown + 1));
    trial.contexts.insert(trial.contexts.begin() + static_cast<std::ptrdiff_t>(at),
                          silent[static_cast<std::size_t>(t) % silent.size()]);
    trial.intruder = static_cast<int>(at) + 1;
    out.push_back(std::move(trial));
  }
  return out;
}

std::optional<int> parse_intruder_answer(const std::string& answer, int contexts) {
  if (const auto json = llm_client::json_answer(answer); json && json->contains("intruder")) {
    const auto& value = (*json)["intruder"];
    if (value.is_number_integer() && value.get<int>() >= 1 && value.get<int>() <= contexts) return value.get<int>();
    return std::nullopt;
  }
  std::optional<int> last;
  for (std::size_t i = 0; i < answer.size();) {
    if (!std::isdigit(static_cast<unsigned char>(answer[i]))) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < answer.size() && std::isdigit(static_cast<unsigned char>(answer[end]))) ++end;
    if (end - i <= 3) {
      const int n = std::stoi(answer.substr(i, end - i));
      if (n >= 1 && n <= contexts) last = n;
    }
    i = end;
  }
  return last;
}

std::vector<std::int64_t> sample_features(std::vector<std::int64_t> features, std::int64_t count,
                                          std::uint64_t seed) {
  const auto rank = [seed](std::int64_t id) {
    return std::make_pair(mix(seed ^ mix(static_cast<std::uint64_t>(id))), id);
  };
  std::sort(features.begin(), features.end(), [&](std::int64_t a, std::int64_t b) { return rank(a) < rank(b); });
  if (count > 0 && static_cast<std::int64_t>(features.size()) > count) features.resize(static_cast<std::size_t>(count));
  std::sort(features.begin(), features.end());
  return features;
}

namespace {

// 1-based ranks, ties sharing their mean rank.
std::vector<double> ranks(const std::vector<double>& values) {
  std::vector<std::size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  std::vector<double> out(values.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t end = i;
    while (end + 1 < order.size() && values[order[end + 1]] == values[order[i]]) ++end;
    const double shared = (static_cast<double>(i) + static_cast<double>(end)) / 2.0 + 1.0;
    for (std::size_t k = i; k <= end; ++k) out[order[k]] = shared;
    i = end + 1;
  }
  return out;
}

}  // namespace

std::optional<double> spearman(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size() || x.size() < 3) return std::nullopt;
  const auto r = pearson(ranks(x), ranks(y));
  if (!r.note.empty()) return std::nullopt;
  return r.value;
}

}  // namespace label_scores

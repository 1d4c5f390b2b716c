#include "scoring.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

namespace label_scores {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string lowercase(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

// Every unsigned integer in the text (maximal runs of digits), in order.
std::vector<long long> integers(const std::string& text) {
  std::vector<long long> out;
  for (std::size_t i = 0; i < text.size();) {
    if (!is_digit(text[i])) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && is_digit(text[j])) ++j;
    out.push_back(j - i > 9 ? std::numeric_limits<long long>::max() : std::stoll(text.substr(i, j - i)));
    i = j;
  }
  return out;
}

struct Number {
  double value;
  std::size_t position;
};

// The last number of a line ("7", "7.5"), with where it starts.
std::optional<Number> last_number(const std::string& line) {
  std::size_t end = line.size();
  while (end > 0 && !is_digit(line[end - 1])) --end;
  if (end == 0) return std::nullopt;
  std::size_t start = end;
  while (start > 0 && is_digit(line[start - 1])) --start;
  // A decimal point with digits before it belongs to the number.
  if (start >= 2 && line[start - 1] == '.' && is_digit(line[start - 2])) {
    start -= 1;
    while (start > 0 && is_digit(line[start - 1])) --start;
  }
  const std::string text = line.substr(start, end - start);
  double value = 0.0;
  try {
    value = std::stod(text);
  } catch (const std::exception&) {
    value = std::numeric_limits<double>::infinity();
  }
  return Number{value, start};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = text.find('\n', start);
    std::string line = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

}  // namespace

namespace {

// The array `key` of a structured answer, when every element is an integer.
std::optional<std::vector<long long>> json_integers(const std::string& answer, const std::string& key) {
  const auto json = llm_client::json_answer(answer);
  if (!json || !json->contains(key) || !(*json)[key].is_array()) return std::nullopt;
  std::vector<long long> values;
  for (const auto& value : (*json)[key]) {
    if (!value.is_number_integer()) return std::nullopt;
    values.push_back(value.get<long long>());
  }
  return values;
}

}  // namespace

std::optional<std::vector<int>> parse_detection_answer(const std::string& answer, int contexts) {
  if (const auto structured = json_integers(answer, "matches")) {
    std::vector<int> chosen;
    for (long long n : *structured) {
      if (n < 1 || n > contexts) return std::nullopt;
      chosen.push_back(static_cast<int>(n));
    }
    std::sort(chosen.begin(), chosen.end());
    chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
    return chosen;
  }
  const auto numbers = integers(answer);
  std::vector<int> chosen;
  const bool flags = contexts > 1 && static_cast<int>(numbers.size()) == contexts &&
                     std::all_of(numbers.begin(), numbers.end(), [](long long n) { return n == 0 || n == 1; }) &&
                     std::find(numbers.begin(), numbers.end(), 0LL) != numbers.end();
  if (flags) {
    for (int i = 0; i < contexts; ++i)
      if (numbers[static_cast<std::size_t>(i)] == 1) chosen.push_back(i + 1);
    return chosen;
  }
  for (long long n : numbers)
    if (n >= 1 && n <= contexts) chosen.push_back(static_cast<int>(n));
  std::sort(chosen.begin(), chosen.end());
  chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
  if (!chosen.empty()) return chosen;
  const std::string lower = lowercase(answer);
  std::string squeezed;
  for (char c : lower)
    if (c != ' ' && c != '\t' && c != '\n') squeezed += c;
  if (squeezed.find("[]") != std::string::npos || lower.find("none") != std::string::npos ||
      lower.find("no example") != std::string::npos)
    return chosen;
  return std::nullopt;
}

double balanced_accuracy(const std::vector<bool>& activating, const std::vector<int>& chosen) {
  double positives = 0, negatives = 0, true_positives = 0, true_negatives = 0;
  for (std::size_t i = 0; i < activating.size(); ++i) {
    const bool picked = std::find(chosen.begin(), chosen.end(), static_cast<int>(i) + 1) != chosen.end();
    if (activating[i]) {
      ++positives;
      if (picked) ++true_positives;
    } else {
      ++negatives;
      if (!picked) ++true_negatives;
    }
  }
  if (positives > 0 && negatives > 0) return 0.5 * (true_positives / positives + true_negatives / negatives);
  if (positives > 0) return true_positives / positives;
  if (negatives > 0) return true_negatives / negatives;
  return std::numeric_limits<double>::quiet_NaN();
}

std::optional<std::vector<double>> parse_simulation_answer(const std::string& answer, std::size_t tokens) {
  if (const auto structured = json_integers(answer, "activations")) {
    if (structured->size() != tokens) return std::nullopt;
    std::vector<double> values;
    for (long long n : *structured) values.push_back(std::clamp(static_cast<double>(n), 0.0, 10.0));
    return values;
  }
  std::vector<double> all, tabbed;
  for (const auto& line : lines_of(answer)) {
    const auto number = last_number(line);
    if (!number) continue;
    const double value = std::isfinite(number->value) ? std::clamp(number->value, 0.0, 10.0) : 10.0;
    all.push_back(value);
    const auto tab = line.rfind('\t', number->position);
    if (tab != std::string::npos) tabbed.push_back(value);
  }
  if (all.size() == tokens) return all;
  if (all.size() > tokens && tabbed.size() == tokens) return tabbed;
  return std::nullopt;
}

Correlation pearson(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = std::min(x.size(), y.size());
  if (n < 2) return {0.0, "fewer than two tokens"};
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (!(sxx > 0)) return {0.0, "the predicted activations are constant"};
  if (!(syy > 0)) return {0.0, "the true activations are constant"};
  const double r = sxy / std::sqrt(sxx * syy);
  if (!std::isfinite(r)) return {0.0, "the correlation is not a number"};
  return {std::clamp(r, -1.0, 1.0), ""};
}

std::set<std::string> word_set(const std::string& text) {
  std::set<std::string> words;
  std::string word;
  for (char c : lowercase(text)) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || is_digit(c) || u >= 0x80) {
      word += c;
    } else if (!word.empty()) {
      words.insert(word);
      word.clear();
    }
  }
  if (!word.empty()) words.insert(word);
  return words;
}

double jaccard_similarity(const std::string& a, const std::string& b) {
  const auto wa = word_set(a), wb = word_set(b);
  if (wa.empty() && wb.empty()) return 1.0;
  std::size_t common = 0;
  for (const auto& w : wa) common += wb.count(w);
  return static_cast<double>(common) / static_cast<double>(wa.size() + wb.size() - common);
}

double cosine_similarity(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0, aa = 0, bb = 0;
  for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    aa += static_cast<double>(a[i]) * a[i];
    bb += static_cast<double>(b[i]) * b[i];
  }
  return aa > 0 && bb > 0 ? dot / std::sqrt(aa * bb) : 0.0;
}

double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive) {
  // Mann-Whitney: the positives' mean rank among all scores, tied scores
  // sharing the mean of their ranks.
  std::vector<std::size_t> order(scores.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  double positives = 0, rank_sum = 0;
  for (std::size_t first = 0; first < order.size();) {
    std::size_t last = first;
    while (last + 1 < order.size() && scores[order[last + 1]] == scores[order[first]]) ++last;
    const double rank = (static_cast<double>(first + last) + 2.0) / 2.0;  // 1-based mean rank of the tie
    for (std::size_t k = first; k <= last; ++k)
      if (positive[order[k]]) positives += 1, rank_sum += rank;
    first = last + 1;
  }
  const double negatives = static_cast<double>(scores.size()) - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

std::vector<std::size_t> derangement(std::size_t n, std::uint64_t seed) {
  if (n < 2) return {};
  std::vector<std::size_t> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = i;
  // Sattolo: swap each position with a strictly earlier one, giving one n-cycle.
  for (std::size_t i = n - 1; i > 0; --i) std::swap(out[i], out[mix(seed ^ mix(i)) % i]);
  return out;
}

double standard_deviation(const std::vector<double>& values) {
  if (values.size() < 2) return 0.0;
  double mean = 0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  double squares = 0;
  for (double v : values) squares += (v - mean) * (v - mean);
  return std::sqrt(squares / static_cast<double>(values.size() - 1));
}

std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::vector<std::vector<std::int64_t>> choose_features(const std::vector<std::set<std::int64_t>>& labelled,
                                                       std::int64_t per_stage, std::uint64_t seed) {
  std::map<std::int64_t, int> stages;  // feature -> how many stages labelled it
  for (const auto& set : labelled)
    for (std::int64_t f : set) ++stages[f];
  std::vector<std::tuple<int, std::uint64_t, std::int64_t>> order;
  for (const auto& [feature, count] : stages)
    order.emplace_back(-count, mix(seed ^ mix(static_cast<std::uint64_t>(feature))), feature);
  std::sort(order.begin(), order.end());
  std::vector<std::vector<std::int64_t>> chosen(labelled.size());
  for (std::size_t s = 0; s < labelled.size(); ++s) {
    for (const auto& [minus_count, priority, feature] : order) {
      if (per_stage > 0 && static_cast<std::int64_t>(chosen[s].size()) >= per_stage) break;
      if (labelled[s].count(feature)) chosen[s].push_back(feature);
    }
    std::sort(chosen[s].begin(), chosen[s].end());
  }
  return chosen;
}

std::vector<std::pair<std::string, double>> cumulative_buckets(const std::vector<double>& scores) {
  static const std::vector<std::pair<std::string, double>> kBounds = {
      {"0", 0.0}, {"0.2", 0.2}, {"0.4", 0.4}, {"0.6", 0.6}, {"0.8", 0.8}, {"1", 1.0},
      {"+Inf", std::numeric_limits<double>::infinity()}};
  std::vector<std::pair<std::string, double>> out;
  for (const auto& [name, bound] : kBounds) {
    double count = 0;
    for (double s : scores)
      if (s <= bound + 1e-12) ++count;
    out.emplace_back(name, count);
  }
  return out;
}

}  // namespace label_scores

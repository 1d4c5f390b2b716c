#include "ngram_baselines.h"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <vector>

namespace toy_transformer {

NgramBaselines ngram_baselines(const dictlab::TokenShard& train, const dictlab::TokenShard& heldout,
                               std::int64_t vocab_size) {
  // The tables below are indexed by id: TokenShard vouches for ids below its
  // own vocabulary, so that must not exceed the tables'.
  if (train.vocab_size() > vocab_size || heldout.vocab_size() > vocab_size)
    throw dictlab::PluginError("n-gram baselines: token ids up to " +
                               std::to_string(std::max(train.vocab_size(), heldout.vocab_size()) - 1) +
                               " but a vocabulary of " + std::to_string(vocab_size));
  std::vector<double> unigram(static_cast<std::size_t>(vocab_size), 1.0);  // add-one
  std::unordered_map<std::uint64_t, double> bigram;
  std::vector<double> followers(static_cast<std::size_t>(vocab_size), 0.0);  // distinct successors per token
  std::vector<double> context_count(static_cast<std::size_t>(vocab_size), 0.0);
  for (std::int64_t i = 0; i < train.size(); ++i) {
    unigram[train[i]] += 1;
    if (i == 0) continue;
    const std::uint64_t key = static_cast<std::uint64_t>(train[i - 1]) * vocab_size + train[i];
    if (bigram[key]++ == 0) followers[train[i - 1]] += 1;
    context_count[train[i - 1]] += 1;
  }
  double unigram_total = 0;
  for (double c : unigram) unigram_total += c;

  NgramBaselines result;
  for (std::int64_t i = 1; i < heldout.size(); ++i) {
    const auto previous = heldout[i - 1], token = heldout[i];
    const double p_unigram = unigram[token] / unigram_total;
    result.unigram_loss -= std::log(p_unigram);
    const double n = context_count[previous], types = followers[previous];
    double p = p_unigram;
    if (n > 0) {
      auto it = bigram.find(static_cast<std::uint64_t>(previous) * vocab_size + token);
      const double count = it == bigram.end() ? 0.0 : it->second;
      p = (count + types * p_unigram) / (n + types);
    }
    result.bigram_loss -= std::log(p);
  }
  const double positions = static_cast<double>(heldout.size() - 1);
  result.unigram_loss /= positions;
  result.bigram_loss /= positions;
  return result;
}

}  // namespace toy_transformer

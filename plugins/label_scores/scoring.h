#pragma once

// The pure parts of label scoring: the parsers of the answers,
// the scores, the feature selection and the figures' helpers. No model, no
// network: unit-tested on their own (tests/scores/scoring_test.cc).

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "prompts.h"

namespace label_scores {

// The prompts these parsers read the answers of: llm_client/prompts.h.

// ---- Detection (EleutherAI delphi): which of N numbered contexts match the explanation?

// The 1-based numbers of the contexts an answer says match, sorted and
// unique; nullopt when it says nothing usable. Reads the structured answer's
// "matches"; in free text accepts "[1, 4]", "2 and 5",
// "Example 3", "none" / "[]" (no context), and delphi's own form, one 0/1
// flag per context ("[1, 0, 0, 1, 0, 0]": exactly N numbers, all 0 or 1, some 0).
std::optional<std::vector<int>> parse_detection_answer(const std::string& answer, int contexts);

// The mean of the true-positive and true-negative rates of `chosen`
// (1-based) against `activating`; with no positive (or no negative) context,
// the one rate there is; NaN with no context at all.
double balanced_accuracy(const std::vector<bool>& activating, const std::vector<int>& chosen);

// ---- Simulation (Bills et al. 2023, without logprobs): predict 0-10 per token.

// One predicted activation per token, in order: the structured answer's
// "activations" when it has exactly `tokens` of them, else the last number on each line
// that has one (so "token<tab>7", "token: 7", "7" all work, and a token that
// is itself a number does not confuse it), clamped to [0, 10]. When more
// lines have numbers than there are tokens, only lines with a tab before
// their number count. nullopt unless exactly `tokens` values are found.
std::optional<std::vector<double>> parse_simulation_answer(const std::string& answer, std::size_t tokens);

struct Correlation {
  double value = 0.0;
  std::string note;  // why it is 0 by convention (a constant side, too few tokens), else ""
};
// Pearson's r of x and y (the same length); 0 with a note when undefined.
Correlation pearson(const std::vector<double>& x, const std::vector<double>& y);

// ---- Embedding (EleutherAI delphi's embedding scorer): no LLM, a sentence-embedding model

// The cosine of two vectors of one length; 0 when either is zero.
double cosine_similarity(const std::vector<float>& a, const std::vector<float>& b);

// The area under the ROC curve of `scores` separating the `positive` items
// from the others: the chance that a random positive scores above a random
// negative, ties counting 1/2. In [0, 1], 0.5 is chance; NaN without a
// positive or without a negative.
double roc_auc(const std::vector<double>& scores, const std::vector<bool>& positive);

// ---- Controls

// A seeded random permutation of 0 .. n-1 that moves every index (one cycle,
// Sattolo's algorithm): who lends whom a label in the shuffled-labels
// control. Empty for n < 2, where no such permutation exists.
std::vector<std::size_t> derangement(std::size_t n, std::uint64_t seed);

// ---- Comparing labels

// The lowercased words of a text (runs of letters, digits and non-ASCII).
std::set<std::string> word_set(const std::string& text);
// |A ∩ B| / |A ∪ B| of the two texts' word sets; 1 when both are empty.
double jaccard_similarity(const std::string& a, const std::string& b);

// ---- Which features to score

// For each stage, at most `per_stage` of the features it labelled (all when
// 0), sorted: one seeded order over all features, features labelled by more
// stages first, so stages are compared on the same features where possible.
std::vector<std::vector<std::int64_t>> choose_features(const std::vector<std::set<std::int64_t>>& labelled,
                                                       std::int64_t per_stage, std::uint64_t seed);

// ---- Figures

// The sample standard deviation; 0 with fewer than two values.
double standard_deviation(const std::vector<double>& values);

// Cumulative counts of scores at or below each bound: le = "0", "0.2", ...,
// "1", "+Inf" (simulation scores below 0 count in every bucket).
std::vector<std::pair<std::string, double>> cumulative_buckets(const std::vector<double>& scores);

// A well-mixed 64-bit hash (SplitMix64's finalizer), for seeds.
std::uint64_t mix(std::uint64_t x);

}  // namespace label_scores

#pragma once

// Intruder scoring (EleutherAI delphi, 2025): no label is read. The LLM sees
// a few of a feature's activating contexts and one context where the feature
// is silent, shuffled, and names the one that does not belong. A feature
// whose contexts share something a reader can see is found out more often
// than chance (1 / the number shown). Pure parts here: the trials and the
// answer's parser (the prompt: llm_client/prompts.h); no model, no network.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "prompts.h"

namespace label_scores {

struct IntruderTrial {
  std::vector<std::string> contexts;  // shown in this order
  int intruder = 0;                   // 1-based position of the silent context
};

// `trials` trials of `activating_shown` activating contexts and one silent
// one, each drawn without repeats inside a trial; seeded. Empty when there
// are fewer activating contexts than `activating_shown` or no silent one.
std::vector<IntruderTrial> intruder_trials(const std::vector<std::string>& activating,
                                           const std::vector<std::string>& silent, int trials, int activating_shown,
                                           std::uint64_t seed);


// The context an answer names: the "intruder" of a structured answer, else
// the last number from 1 to `contexts` in the text; nullopt if none.
std::optional<int> parse_intruder_answer(const std::string& answer, int contexts);

// A seeded sample of at most `count` of `features` (all when 0), sorted by
// id. A feature's place in the draw is a hash of the seed and its id, so
// the same on every platform, and a larger sample contains a smaller one.
std::vector<std::int64_t> sample_features(std::vector<std::int64_t> features, std::int64_t count,
                                          std::uint64_t seed);

// Spearman's rank correlation: Pearson's r of the ranks, tied values sharing
// their mean rank (scores of a few trials tie a lot). nullopt with fewer
// than three pairs or a constant side, where it says nothing.
std::optional<double> spearman(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace label_scores

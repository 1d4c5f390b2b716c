// Intruder scoring's pure parts (plugins/label_scores/intruder.h): the trials,
// the answer's shape and both parsers.
#include "intruder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace label_scores {
namespace {

const std::vector<std::string> kActivating = {"in 1066", "since 1492", "by 1848", "after 1914", "until 1989"};
const std::vector<std::string> kSilent = {"the cat sat", "stocks fell"};

TEST(IntruderTrials, EachTrialHidesOneSilentContextAmongDistinctActivatingOnes) {
  const auto trials = intruder_trials(kActivating, kSilent, 20, 4, 7);
  ASSERT_EQ(trials.size(), 20u);
  std::set<int> positions;
  for (const auto& trial : trials) {
    ASSERT_EQ(trial.contexts.size(), 5u);
    ASSERT_GE(trial.intruder, 1);
    ASSERT_LE(trial.intruder, 5);
    positions.insert(trial.intruder);
    std::set<std::string> seen;
    for (int i = 0; i < 5; ++i) {
      const std::string& context = trial.contexts[static_cast<std::size_t>(i)];
      const bool silent = context == kSilent[0] || context == kSilent[1];
      EXPECT_EQ(silent, i + 1 == trial.intruder) << context;
      EXPECT_TRUE(seen.insert(context).second) << "repeated: " << context;
    }
  }
  EXPECT_EQ(positions.size(), 5u) << "the intruder is not always in the same place";
  EXPECT_EQ(intruder_trials(kActivating, kSilent, 20, 4, 7)[3].contexts, trials[3].contexts) << "seeded";
}

TEST(IntruderTrials, NoneWithTooFewActivatingContextsOrNoSilentOne) {
  EXPECT_TRUE(intruder_trials({"a", "b"}, kSilent, 5, 4, 1).empty());
  EXPECT_TRUE(intruder_trials(kActivating, {}, 5, 4, 1).empty());
}

TEST(IntruderFormat, AllowsExactlyTheNumbersShown) {
  const auto format = llm_client::intruder_format(3);
  EXPECT_EQ(format.schema["properties"]["intruder"]["enum"], nlohmann::json({1, 2, 3}));
  EXPECT_EQ(format.response_format()["type"], "json_schema");
}

TEST(IntruderPrompt, NumbersEveryContextAndGivesNoWorkedExampleToCopy) {
  const auto messages = llm_client::intruder_prompt({"in 1066", "the\ncat", "by 1848"});
  ASSERT_EQ(messages.size(), 2u) << "a worked example's answer is what a small model repeats";
  EXPECT_EQ(messages[0].role, "system");
  const std::string& question = messages[1].content;
  EXPECT_NE(question.find("Example 1: in 1066\n"), std::string::npos) << question;
  EXPECT_NE(question.find("Example 2: the\u21B5cat\n"), std::string::npos) << question;
  EXPECT_NE(question.find("Example 3: by 1848\n"), std::string::npos) << question;
}

TEST(ParseIntruderAnswer, ReadsJsonOrTheLastNumberInRange) {
  EXPECT_EQ(parse_intruder_answer(R"({"intruder": 4})", 5), 4);
  EXPECT_EQ(parse_intruder_answer(R"({"intruder": 9})", 5), std::nullopt);
  EXPECT_EQ(parse_intruder_answer("Example 2 is the intruder.", 5), 2);
  EXPECT_EQ(parse_intruder_answer("3", 5), 3);
  EXPECT_EQ(parse_intruder_answer("In 1066, example 5.", 5), 5) << "1066 is no example number";
  EXPECT_EQ(parse_intruder_answer("none of them", 5), std::nullopt);
}

TEST(SampleFeatures, ASeededSortedSampleThatGrowsWithItsSize) {
  std::vector<std::int64_t> all;
  for (std::int64_t f = 0; f < 100; ++f) all.push_back(f * 3);
  const auto ten = sample_features(all, 10, 5);
  ASSERT_EQ(ten.size(), 10u);
  EXPECT_TRUE(std::is_sorted(ten.begin(), ten.end()));
  EXPECT_EQ(sample_features(all, 10, 5), ten) << "seeded";
  EXPECT_NE(sample_features(all, 10, 6), ten) << "another seed, another sample";
  const auto twenty = sample_features(all, 20, 5);
  for (std::int64_t f : ten) EXPECT_TRUE(std::binary_search(twenty.begin(), twenty.end(), f)) << f;
  EXPECT_EQ(sample_features(all, 0, 5), all) << "0: all";
  EXPECT_EQ(sample_features(all, 500, 5), all);
}

TEST(Spearman, RanksWithTiesAndNothingWhenUndefined) {
  const std::vector<double> density = {1e-4, 1e-3, 1e-2, 1e-1};
  EXPECT_NEAR(*spearman({0.2, 0.4, 0.6, 0.8}, density), 1.0, 1e-12);
  EXPECT_NEAR(*spearman({0.8, 0.6, 0.4, 0.2}, density), -1.0, 1e-12);
  // Ranks 1.5, 1.5, 3, 4 against 1, 2, 3, 4: r = 4.5 / sqrt(4.5 * 5).
  EXPECT_NEAR(*spearman({0.2, 0.2, 0.6, 0.8}, density), 0.9486832980505138, 1e-12);
  EXPECT_EQ(spearman({0.4, 0.4, 0.4, 0.4}, density), std::nullopt) << "a constant score";
  EXPECT_EQ(spearman({0.2, 0.4}, {1e-3, 1e-2}), std::nullopt) << "too few";
}

}  // namespace
}  // namespace label_scores

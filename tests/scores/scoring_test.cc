// The pure parts of label_scores: parsers, scores, selection, figures, and
// the contexts a feature is scored on (over a hand-made held-out pool).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "contexts.h"
#include "scoring.h"

namespace label_scores {
namespace {

using Ints = std::vector<int>;
using Doubles = std::vector<double>;

TEST(DetectionAnswer, ListsOfNumbersInTheUsualShapes) {
  EXPECT_EQ(parse_detection_answer("[1, 4]", 6), Ints({1, 4}));
  EXPECT_EQ(parse_detection_answer("Examples 5 and 2 match the feature.", 6), Ints({2, 5}));
  EXPECT_EQ(parse_detection_answer("Example 3", 6), Ints({3}));
  EXPECT_EQ(parse_detection_answer("1,1,2", 6), Ints({1, 2})) << "repeats count once";
  EXPECT_EQ(parse_detection_answer("[2, 9]", 6), Ints({2})) << "numbers past the last context are ignored";
}

TEST(DetectionAnswer, NoneIsAnAnswerNothingIsNot) {
  EXPECT_EQ(parse_detection_answer("[]", 6), Ints());
  EXPECT_EQ(parse_detection_answer("[ ]", 6), Ints());
  EXPECT_EQ(parse_detection_answer("None of them.", 6), Ints());
  EXPECT_EQ(parse_detection_answer("I cannot tell.", 6), std::nullopt);
  EXPECT_EQ(parse_detection_answer("", 6), std::nullopt);
  EXPECT_EQ(parse_detection_answer("[7, 9]", 6), std::nullopt);
}

TEST(DetectionAnswer, DelphisOneFlagPerContext) {
  EXPECT_EQ(parse_detection_answer("[1, 0, 0, 1, 0, 0]", 6), Ints({1, 4}));
  EXPECT_EQ(parse_detection_answer("[0, 0, 0, 0, 0, 0]", 6), Ints());
  // Not N numbers: context numbers after all.
  EXPECT_EQ(parse_detection_answer("[1, 0]", 6), Ints({1}));
}

TEST(DetectionAnswer, AStructuredAnswerIsReadFromItsMatches) {
  EXPECT_EQ(parse_detection_answer(R"({"matches": [4, 1, 4]})", 6), (std::vector<int>{1, 4}));
  EXPECT_EQ(parse_detection_answer(R"({"matches": []})", 6), std::vector<int>{});
  EXPECT_EQ(parse_detection_answer(R"({"matches": [7]})", 6), std::nullopt) << "no such context";
  const auto format = llm_client::detection_format(3);
  EXPECT_EQ(format.schema["properties"]["matches"]["items"]["enum"], nlohmann::json({1, 2, 3}));
}

TEST(BalancedAccuracy, MeanOfTheTwoRates) {
  const std::vector<bool> truth = {true, true, true, false, false, false};
  EXPECT_DOUBLE_EQ(balanced_accuracy(truth, {1, 2, 3}), 1.0);
  EXPECT_DOUBLE_EQ(balanced_accuracy(truth, {4, 5, 6}), 0.0);
  EXPECT_DOUBLE_EQ(balanced_accuracy(truth, {}), 0.5);
  EXPECT_DOUBLE_EQ(balanced_accuracy(truth, {1, 2, 3, 4, 5, 6}), 0.5);
  EXPECT_DOUBLE_EQ(balanced_accuracy(truth, {1, 4}), 0.5 * (1.0 / 3 + 2.0 / 3));
  // Unbalanced sets: the rates, not the share of right answers.
  EXPECT_DOUBLE_EQ(balanced_accuracy({true, false, false, false}, {1}), 1.0);
  EXPECT_DOUBLE_EQ(balanced_accuracy({true, false, false, false}, {}), 0.5);
  EXPECT_DOUBLE_EQ(balanced_accuracy({true, true}, {2}), 0.5) << "no negatives: the true-positive rate";
  EXPECT_TRUE(std::isnan(balanced_accuracy({}, {})));
}

TEST(SimulationAnswer, TokenTabActivationLines) {
  EXPECT_EQ(parse_simulation_answer("The\t0\n cat\t10\n", 2), Doubles({0, 10}));
  EXPECT_EQ(parse_simulation_answer("<start>\nThe\t0\n cat\t10\n<end>", 2), Doubles({0, 10}));
  EXPECT_EQ(parse_simulation_answer("The\t0\r\n cat\t7\r\n", 2), Doubles({0, 7}));
  EXPECT_EQ(parse_simulation_answer("\t3\n\t4", 2), Doubles({3, 4})) << "tokens that show as blanks";
}

TEST(SimulationAnswer, LooseFormatsTakeTheLastNumberOfEachLine) {
  EXPECT_EQ(parse_simulation_answer("1. The: 3\n2. cat - 7", 2), Doubles({3, 7}));
  EXPECT_EQ(parse_simulation_answer("2024\t5\n12\t0\n", 2), Doubles({5, 0})) << "a number token is not its activation";
  EXPECT_EQ(parse_simulation_answer("a\t2.5\nb\t7.", 2), Doubles({2.5, 7}));
  EXPECT_EQ(parse_simulation_answer("a\t15\nb\t-3", 2), Doubles({10, 3})) << "clamped to 0-10, signs ignored";
  EXPECT_EQ(parse_simulation_answer("Here are the 3 activations:\nA\t1\nB\t2\nC\t3", 3), Doubles({1, 2, 3}))
      << "with more numbered lines than tokens, the tab-separated ones";
}

TEST(SimulationAnswer, TheCountMustMatch) {
  EXPECT_EQ(parse_simulation_answer("The\t0\n cat\t10\n", 3), std::nullopt);
  EXPECT_EQ(parse_simulation_answer("The\t0\n cat\t10\n sat\t1", 2), std::nullopt);
  EXPECT_EQ(parse_simulation_answer("The cat sat", 3), std::nullopt);
  EXPECT_EQ(parse_simulation_answer("", 1), std::nullopt);
}

TEST(SimulationAnswer, AStructuredAnswerNeedsExactlyOneActivationPerToken) {
  EXPECT_EQ(parse_simulation_answer(R"({"activations": [0, 10, 3]})", 3), (std::vector<double>{0, 10, 3}));
  EXPECT_EQ(parse_simulation_answer(R"({"activations": [0, 10]})", 3), std::nullopt);
  const auto format = llm_client::simulation_format(3);
  EXPECT_EQ(format.schema["properties"]["activations"]["minItems"], 3);
  EXPECT_EQ(format.schema["properties"]["activations"]["maxItems"], 3);
}

TEST(Pearson, KnownValuesAndTheDegenerateCases) {
  EXPECT_NEAR(pearson({1, 2, 3, 4}, {1, 3, 2, 4}).value, 0.8, 1e-12);
  EXPECT_NEAR(pearson({1, 2, 3}, {2, 4, 6}).value, 1.0, 1e-12);
  EXPECT_NEAR(pearson({1, 2, 3}, {3, 2, 1}).value, -1.0, 1e-12);
  const auto constant = pearson({0, 0, 0}, {1, 2, 3});
  EXPECT_EQ(constant.value, 0.0);
  EXPECT_NE(constant.note.find("predicted"), std::string::npos);
  const auto flat_truth = pearson({1, 2, 3}, {0, 0, 0});
  EXPECT_EQ(flat_truth.value, 0.0);
  EXPECT_NE(flat_truth.note.find("true"), std::string::npos);
  EXPECT_EQ(pearson({1}, {1}).value, 0.0);
  EXPECT_TRUE(pearson({1, 2}, {1, 2}).note.empty());
}

TEST(Pearson, APerfectSimulatorScoresOneThroughTheParser) {
  // True activations of two contexts; a simulator that answers them scaled to 0-10.
  const std::vector<std::vector<double>> truth = {{0, 0.5, 3.2, 0}, {0, 0, 0.1, 1.7, 0}};
  Doubles predicted, all_truth;
  for (const auto& context : truth) {
    std::string answer;
    for (double t : context) answer += "tok\t" + std::to_string(t * 10 / 3.2) + "\n";
    const auto values = parse_simulation_answer(answer, context.size());
    ASSERT_TRUE(values);
    predicted.insert(predicted.end(), values->begin(), values->end());
    all_truth.insert(all_truth.end(), context.begin(), context.end());
  }
  EXPECT_NEAR(pearson(predicted, all_truth).value, 1.0, 1e-6);
}

TEST(Agreement, JaccardOfLowercasedWords) {
  EXPECT_EQ(word_set("The token \"the\", THE end!"), (std::set<std::string>{"the", "token", "end"}));
  EXPECT_DOUBLE_EQ(jaccard_similarity("the token the", "The TOKEN"), 1.0);
  EXPECT_DOUBLE_EQ(jaccard_similarity("the token", "the word"), 1.0 / 3);
  EXPECT_DOUBLE_EQ(jaccard_similarity("alpha", "beta"), 0.0);
  EXPECT_DOUBLE_EQ(jaccard_similarity("", "..."), 1.0);
  EXPECT_DOUBLE_EQ(jaccard_similarity("\xd8\xb3 Arabic", "arabic \xd8\xb3"), 1.0) << "non-ASCII words count";
}

TEST(ChooseFeatures, SameFeaturesAcrossStagesPreferringThoseEveryStageLabelled) {
  const std::vector<std::set<std::int64_t>> labelled = {{1, 2, 3, 4, 5, 6, 7, 8}, {4, 5, 6, 9}, {4, 5, 6, 7}};
  const auto chosen = choose_features(labelled, 2, 42);
  ASSERT_EQ(chosen.size(), 3u);
  for (const auto& c : chosen) {
    ASSERT_EQ(c.size(), 2u);
    for (auto f : c) EXPECT_TRUE(f >= 4 && f <= 6) << f << " was not labelled by every stage";
    EXPECT_TRUE(std::is_sorted(c.begin(), c.end()));
  }
  EXPECT_EQ(chosen[0], chosen[1]);
  EXPECT_EQ(chosen[1], chosen[2]);
  EXPECT_EQ(choose_features(labelled, 2, 42), chosen) << "seeded";

  const auto all = choose_features(labelled, 0, 42);
  EXPECT_EQ(all[0], (std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(all[1], (std::vector<std::int64_t>{4, 5, 6, 9}));
  const auto many = choose_features(labelled, 5, 42);
  EXPECT_EQ(many[1], (std::vector<std::int64_t>{4, 5, 6, 9})) << "a stage with fewer labels gives all it has";
  // The sample differs with the seed (three of the 3-choose-2 samples in twenty seeds).
  std::set<std::vector<std::int64_t>> samples;
  for (std::uint64_t seed = 0; seed < 20; ++seed) samples.insert(choose_features(labelled, 2, seed)[0]);
  EXPECT_EQ(samples.size(), 3u);
}

TEST(RocAuc, TheChanceAPositiveOutscoresANegativeTiesCountingHalf) {
  EXPECT_DOUBLE_EQ(roc_auc({0.9, 0.8, 0.1, 0.2}, {true, true, false, false}), 1.0);
  EXPECT_DOUBLE_EQ(roc_auc({0.1, 0.2, 0.9, 0.8}, {true, true, false, false}), 0.0);
  EXPECT_DOUBLE_EQ(roc_auc({0.5, 0.5, 0.5, 0.5}, {true, true, false, false}), 0.5) << "all tied: chance";
  // Positives 3, 1; negatives 2, 1: pairs (3>2) (3>1) (1<2) (1=1) -> (1 + 1 + 0 + 0.5) / 4.
  EXPECT_DOUBLE_EQ(roc_auc({3, 1, 2, 1}, {true, true, false, false}), 2.5 / 4);
  // Unbalanced: one positive above two of three negatives.
  EXPECT_DOUBLE_EQ(roc_auc({0.5, 0.9, 0.1, 0.2}, {true, false, false, false}), 2.0 / 3);
  EXPECT_TRUE(std::isnan(roc_auc({0.1, 0.2}, {true, true}))) << "no negative";
  EXPECT_TRUE(std::isnan(roc_auc({0.1}, {false}))) << "no positive";
  EXPECT_TRUE(std::isnan(roc_auc({}, {})));
}

TEST(RocAuc, MatchesCountingEveryPair) {
  std::vector<double> scores;
  std::vector<bool> positive;
  for (int i = 0; i < 40; ++i) {
    scores.push_back(static_cast<double>(mix(static_cast<std::uint64_t>(i)) % 7));  // many ties
    positive.push_back(mix(static_cast<std::uint64_t>(i) + 100) % 3 == 0);
  }
  double wins = 0, pairs = 0;
  for (std::size_t a = 0; a < scores.size(); ++a)
    for (std::size_t b = 0; b < scores.size(); ++b)
      if (positive[a] && !positive[b]) {
        pairs += 1;
        wins += scores[a] > scores[b] ? 1.0 : scores[a] == scores[b] ? 0.5 : 0.0;
      }
  EXPECT_NEAR(roc_auc(scores, positive), wins / pairs, 1e-12);
}

TEST(CosineSimilarity, AngleNotLength) {
  EXPECT_NEAR(cosine_similarity({1, 0}, {2, 0}), 1.0, 1e-12);
  EXPECT_NEAR(cosine_similarity({1, 0}, {0, 3}), 0.0, 1e-12);
  EXPECT_NEAR(cosine_similarity({1, 1}, {-1, -1}), -1.0, 1e-12);
  EXPECT_EQ(cosine_similarity({0, 0}, {1, 0}), 0.0) << "a zero vector has no direction";
}

TEST(Derangement, EveryIndexMovesSeeded) {
  EXPECT_TRUE(derangement(0, 1).empty());
  EXPECT_TRUE(derangement(1, 1).empty()) << "one item cannot lend itself to another";
  EXPECT_EQ(derangement(2, 1), (std::vector<std::size_t>{1, 0}));
  for (std::size_t n : {3u, 10u, 101u}) {
    const auto p = derangement(n, 42);
    ASSERT_EQ(p.size(), n);
    std::vector<std::size_t> sorted = p;
    std::sort(sorted.begin(), sorted.end());
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(sorted[i], i) << "a permutation";
      EXPECT_NE(p[i], i) << "index " << i << " stays";
    }
    EXPECT_EQ(derangement(n, 42), p) << "seeded";
    if (n >= 10) EXPECT_NE(derangement(n, 43), p);
  }
}

TEST(Figures, StandardDeviation) {
  EXPECT_DOUBLE_EQ(standard_deviation({}), 0.0);
  EXPECT_DOUBLE_EQ(standard_deviation({3}), 0.0);
  EXPECT_DOUBLE_EQ(standard_deviation({1, 3}), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(standard_deviation({2, 4, 4, 4, 5, 5, 7, 9}), std::sqrt(32.0 / 7));
}

TEST(Figures, CumulativeBuckets) {
  const auto buckets = cumulative_buckets({-0.5, 0.1, 0.5, 1.0, 0.2});
  const std::vector<std::pair<std::string, double>> expected = {{"0", 1},   {"0.2", 3}, {"0.4", 3}, {"0.6", 4},
                                                                {"0.8", 4}, {"1", 5},   {"+Inf", 5}};
  EXPECT_EQ(buckets, expected);
}

TEST(Prompts, ShowTheExplanationAndEveryContextOnItsOwnLine) {
  const auto detection = llm_client::detection_prompt("line\nbreaks", {"a\nb", "c\td", "e"});
  ASSERT_GE(detection.size(), 2u);
  const std::string& question = detection.back().content;
  EXPECT_EQ(detection.back().role, "user");
  EXPECT_NE(question.find("Feature: line\u21B5breaks"), std::string::npos) << question;
  EXPECT_NE(question.find("Example 1: a\u21B5b\n"), std::string::npos) << question;
  EXPECT_NE(question.find("Example 2: c\u21E5d\n"), std::string::npos) << question;
  EXPECT_NE(question.find("Example 3: e\n"), std::string::npos) << question;
  EXPECT_EQ(question.find("Example 4"), std::string::npos);

  const auto simulation = llm_client::simulation_prompt("cats", {"The", " cat", "\n"});
  const std::string& ask = simulation.back().content;
  EXPECT_NE(ask.find("cats"), std::string::npos);
  EXPECT_NE(ask.find("<start>\nThe\n cat\n\u21B5\n<end>"), std::string::npos) << ask;
  EXPECT_NE(ask.find("3 activations"), std::string::npos) << ask;
}

// A held-out pool over a toy vocabulary: token i displays as letter 'a' + i.
class ContextsTest : public ::testing::Test {
 protected:
  static constexpr std::int64_t kLength = 12, kWindow = 4, kContexts = 10;

  ContextsTest() {
    std::vector<std::string> bytes;
    for (int i = 0; i < 26; ++i) bytes.push_back(std::string(1, static_cast<char>('a' + i)));
    display_ = std::make_shared<dictlab::TokenDisplay>(bytes);
    for (std::int64_t i = 0; i < kContexts * kLength; ++i) ids_.push_back(static_cast<std::int32_t>((i * 7 + i / 5) % 26));
    // Feature 3 fires at position 2 of every even context; feature 9 never.
    for (std::int32_t c = 0; c < kContexts; c += 2) firings_[3].push_back({c, 2, 1.5f + static_cast<float>(c)});
    firings_[9] = {};
  }

  HeldoutPool pool() const { return HeldoutPool(ids_, kLength, kWindow, firings_, display_); }

  static dictlab::FeatureEvidence evidence(std::int64_t feature, int top, int interval) {
    dictlab::FeatureEvidence e;
    e.feature = feature;
    e.max_activation = 10;
    for (int i = 0; i < top; ++i)
      e.top_examples.push_back({10.0f - static_cast<float>(i), 1, {"t" + std::to_string(i), "x", "y"}, {0, 10.0f - static_cast<float>(i), 0}});
    dictlab::ActivationInterval bin{0, 5, {}};
    for (int i = 0; i < interval; ++i)
      bin.examples.push_back({1.0f, 0, {"i" + std::to_string(i), "", "z"}, {1.0f, 0.5f, 0}});
    e.intervals.push_back(bin);
    return e;
  }

  std::vector<std::int32_t> ids_;
  std::unordered_map<std::int64_t, std::vector<HeldoutPool::Firing>> firings_;
  std::shared_ptr<dictlab::TokenDisplay> display_;
};

TEST_F(ContextsTest, PoolWindowsCarryTheFeaturesActivations) {
  const auto p = pool();
  EXPECT_EQ(p.contexts(), kContexts);
  EXPECT_EQ(p.starts(), kLength - kWindow + 1);
  const auto w = p.window(3, 2, 1);
  ASSERT_EQ(w.tokens.size(), 4u);
  EXPECT_EQ(w.tokens[0], std::string(1, static_cast<char>('a' + ids_[2 * kLength + 1])));
  EXPECT_EQ(w.activations, (std::vector<float>{0, 3.5f, 0, 0}));
  EXPECT_FALSE(p.silent(3, 2, 0));
  EXPECT_FALSE(p.silent(3, 2, 2));
  EXPECT_TRUE(p.silent(3, 2, 3)) << "the window starts after the firing";
  EXPECT_TRUE(p.silent(3, 1, 0)) << "odd contexts never fire";
  EXPECT_TRUE(p.silent(9, 0, 0));
  EXPECT_EQ(p.window(9, 0, 0).activations, (std::vector<float>{0, 0, 0, 0}));
}

TEST_F(ContextsTest, HalfActivatingHalfSilentShuffledTheSameEveryTime) {
  const auto p = pool();
  const ContextOptions options{.detection = 6, .simulation = 4, .skip_top_examples = 2};
  const auto c = feature_contexts(evidence(3, 6, 4), p, options, 7);
  EXPECT_TRUE(c.detection.error.empty()) << c.detection.error;
  ASSERT_EQ(c.detection.texts.size(), 6u);
  ASSERT_EQ(c.detection.activating.size(), 6u);
  EXPECT_EQ(std::count(c.detection.activating.begin(), c.detection.activating.end(), true), 3);
  int from_top = 0, from_intervals = 0;
  for (std::size_t i = 0; i < 6; ++i) {
    const auto& text = c.detection.texts[i];
    if (c.detection.activating[i]) {
      EXPECT_TRUE(text[0] == 't' || text[0] == 'i') << text;
      EXPECT_NE(text.rfind("t0", 0), 0u) << "the skipped top examples are not used";
      EXPECT_NE(text.rfind("t1", 0), 0u) << "the skipped top examples are not used";
      (text[0] == 't' ? from_top : from_intervals)++;
    } else {
      EXPECT_EQ(text.size(), static_cast<std::size_t>(kWindow)) << text;
    }
  }
  EXPECT_EQ(from_top, 2);
  EXPECT_EQ(from_intervals, 1);

  ASSERT_EQ(c.simulation.size(), 4u);
  EXPECT_TRUE(c.simulation[0].top_example);
  EXPECT_EQ(c.simulation[0].tokens, (std::vector<std::string>{"t2", "x", "y"})) << "the strongest not skipped";
  EXPECT_EQ(c.simulation[1].tokens[0], "t3");
  for (std::size_t i = 2; i < 4; ++i) {
    EXPECT_FALSE(c.simulation[i].top_example);
    EXPECT_EQ(c.simulation[i].tokens.size(), static_cast<std::size_t>(kWindow));
    EXPECT_EQ(c.simulation[i].activations.size(), c.simulation[i].tokens.size());
  }

  const auto again = feature_contexts(evidence(3, 6, 4), p, options, 7);
  EXPECT_EQ(again.detection.texts, c.detection.texts);
  EXPECT_EQ(again.detection.activating, c.detection.activating);
  const auto other_seed = feature_contexts(evidence(3, 6, 4), p, options, 8);
  EXPECT_NE(other_seed.detection.texts, c.detection.texts);
}

TEST_F(ContextsTest, EmbeddingContextsAreDrawnAfterTheOthersWhichStayAsTheyWere) {
  const auto p = pool();
  const auto without = feature_contexts(evidence(3, 6, 4), p, {.detection = 6, .simulation = 4, .embedding = 0}, 7);
  EXPECT_TRUE(without.embedding.texts.empty());
  const auto with = feature_contexts(evidence(3, 6, 4), p, {.detection = 6, .simulation = 4, .embedding = 8}, 7);
  EXPECT_EQ(with.detection.texts, without.detection.texts) << "detection prompts (and cached answers) unchanged";
  ASSERT_EQ(with.simulation.size(), without.simulation.size());
  for (std::size_t i = 0; i < with.simulation.size(); ++i)
    EXPECT_EQ(with.simulation[i].tokens, without.simulation[i].tokens);
  EXPECT_TRUE(with.embedding.error.empty()) << with.embedding.error;
  ASSERT_EQ(with.embedding.texts.size(), 8u);
  ASSERT_EQ(with.embedding.activating.size(), 8u);
  EXPECT_EQ(std::count(with.embedding.activating.begin(), with.embedding.activating.end(), true), 4);
  for (std::size_t i = 0; i < 8; ++i)
    if (!with.embedding.activating[i]) EXPECT_EQ(with.embedding.texts[i].size(), static_cast<std::size_t>(kWindow));

  for (std::int32_t c = 0; c < kContexts; ++c)
    for (std::int32_t t = 0; t < kLength; ++t) firings_[5].push_back({c, t, 1.0f});
  const auto everywhere = feature_contexts(evidence(5, 4, 0), pool(), {}, 1);
  EXPECT_NE(everywhere.embedding.error.find("without the feature"), std::string::npos) << everywhere.embedding.error;
}

TEST_F(ContextsTest, TokensShownAsNothingAreLeftOutOfSimulations) {
  const auto c = feature_contexts(evidence(3, 0, 4), pool(), {.detection = 4, .simulation = 2, .skip_top_examples = 0}, 1);
  EXPECT_FALSE(c.simulation_error.empty()) << "no top example to simulate";
  EXPECT_TRUE(c.detection.error.empty()) << "interval examples are enough to detect";
  const auto d = feature_contexts(evidence(3, 1, 0), pool(), {.detection = 4, .simulation = 2, .skip_top_examples = 5}, 1);
  ASSERT_GE(d.simulation.size(), 1u);
  EXPECT_EQ(d.simulation[0].tokens[0], "t0") << "too few top examples to skip any";
  // An interval example "i0", "", "z": the empty display string is dropped with its activation.
  dictlab::FeatureEvidence e = evidence(3, 0, 0);
  e.top_examples.push_back({1.0f, 0, {"i0", "", "z"}, {1.0f, 0.5f, 0}});
  const auto f = feature_contexts(e, pool(), {.detection = 2, .simulation = 1, .skip_top_examples = 0}, 1);
  ASSERT_EQ(f.simulation.size(), 1u);
  EXPECT_EQ(f.simulation[0].tokens, (std::vector<std::string>{"i0", "z"}));
  EXPECT_EQ(f.simulation[0].activations, (std::vector<double>{1.0, 0.0}));
}

TEST_F(ContextsTest, AFeatureThatFiresEverywhereCannotBeDetected) {
  for (std::int32_t c = 0; c < kContexts; ++c)
    for (std::int32_t t = 0; t < kLength; ++t) firings_[5].push_back({c, t, 1.0f});
  const auto c = feature_contexts(evidence(5, 4, 0), pool(), {}, 1);
  EXPECT_NE(c.detection.error.find("without the feature"), std::string::npos) << c.detection.error;
}

}  // namespace
}  // namespace label_scores

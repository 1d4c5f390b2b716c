// Which class each token of a window falls in: its own script, DNA and base64
// stretches, the kind of line it is on, and its document's source family.
#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

#include "balanced_tasks.h"
#include "probe_classes.h"
#include "token_facts.h"

namespace sparse_probing {
namespace {

// The names of the classes (of `names`) whose positive predicate holds.
std::vector<std::string> classes_of(const TokenFacts& fact, const std::vector<ProbeClass>& classes) {
  std::vector<std::string> found;
  for (const auto& c : classes)
    if (c.positive(fact)) found.push_back(c.name);
  return found;
}

std::vector<ProbeClass> text_classes() { return select_classes(known_class_names(), {}); }

TEST(TokenClasses, EachTokenIsInTheClassItsTextSays) {
  const std::vector<std::string> tokens = {"The", " cat", " sat", ".\n", "بسم", " الله", "\n", "שלום", "\n",
                                           "Привет", "\n", "床前", "明月", "\n", "def", " f", "():", "\n",
                                           "\\section", "{Intro}", "\n"};
  const auto facts = window_facts(tokens, tokens);
  const auto classes = text_classes();
  using V = std::vector<std::string>;
  EXPECT_EQ(classes_of(facts[1], classes), V{});  // prose: only the negative of code_vs_prose
  EXPECT_TRUE(std::find_if(classes.begin(), classes.end(), [](auto& c) { return c.name == "code_vs_prose"; })
                  ->negative(facts[1]));
  EXPECT_EQ(classes_of(facts[4], classes), V{"arabic"});
  EXPECT_EQ(classes_of(facts[5], classes), V{"arabic"});
  EXPECT_EQ(classes_of(facts[7], classes), V{"hebrew"});
  EXPECT_EQ(classes_of(facts[9], classes), V{"cyrillic"});
  EXPECT_EQ(classes_of(facts[12], classes), V{"han"});
  EXPECT_EQ(classes_of(facts[14], classes), V{"code_vs_prose"});
  EXPECT_EQ(classes_of(facts[16], classes), V{"code_vs_prose"});
  EXPECT_EQ(classes_of(facts[18], classes), V{"latex"});
  EXPECT_EQ(classes_of(facts[19], classes), V{"latex"});
  // A newline belongs to the line it ends.
  EXPECT_EQ(facts[17].line, LineKind::kCode);
  EXPECT_EQ(facts[3].line, LineKind::kProse);
}

TEST(TokenClasses, DnaAndBase64ComeFromLongStretches) {
  const std::vector<std::string> tokens = {"seq", ":\n", "ACGTTGCAAC", "GTAGCTAGCT", "AGGATCCGAT", "\n",
                                           "U29tZSBiYXNl", "NjQgdGV4dCBm", "b3IgdGVzdGluZw==", "\n", "ACGT"};
  const auto facts = window_facts(tokens, tokens);
  const auto classes = text_classes();
  using V = std::vector<std::string>;
  EXPECT_EQ(classes_of(facts[2], classes), V{"dna"});
  EXPECT_EQ(classes_of(facts[4], classes), V{"dna"});
  EXPECT_EQ(classes_of(facts[7], classes), V{"base64"});
  EXPECT_EQ(classes_of(facts[10], classes), V{});  // four bases alone are not DNA
  EXPECT_EQ(classes_of(facts[0], classes), V{});
}

TEST(TokenClasses, TokensWithoutTextOfTheirOwnAreInNoTask) {
  // "ب" split over two byte tokens: TokenDisplay shows it on the first and "" on the second.
  const std::vector<std::string> raw = {"\xD8", "\xA8", " x"}, shown = {"\xD8\xA8", "", " x"};
  const auto facts = window_facts(shown, raw);
  EXPECT_TRUE(facts[0].eligible);
  EXPECT_FALSE(facts[1].eligible);
  for (const auto& c : text_classes()) {
    EXPECT_FALSE(c.positive(facts[1])) << c.name;
    EXPECT_FALSE(c.negative(facts[1])) << c.name;
  }
  EXPECT_EQ(facts[0].script, "Arabic");
}

TEST(TokenClasses, FamiliesAreTheSourcesFirstPartAndOneTaskEach) {
  EXPECT_EQ(family_of("code/python"), "code");
  EXPECT_EQ(family_of("multilingual/man-de"), "multilingual");
  EXPECT_EQ(family_of("text_files"), "text_files");
  const auto classes = select_classes({"arabic", "family"}, {"bio", "code"});
  ASSERT_EQ(classes.size(), 3u);
  EXPECT_EQ(classes[1].name, "family:bio");
  TokenFacts code, unknown, bio;
  code.eligible = unknown.eligible = bio.eligible = true;
  code.family = 1, bio.family = 0;
  EXPECT_TRUE(classes[2].positive(code));
  EXPECT_TRUE(classes[2].negative(bio));
  EXPECT_FALSE(classes[2].negative(unknown));  // unknown documents are in no family task
  EXPECT_FALSE(classes[2].positive(unknown));
}

// A user's unknown class is refused by the host (the descriptor declares the
// choices; sparse_probing_run_tests checks the message); past it, one is a bug.
TEST(TokenClasses, UnknownClassIsALogicError) {
  EXPECT_THROW(select_classes({"arabic", "klingon"}, {}), std::logic_error);
}

TEST(BalancedRows, EqualCountsOnEachSideOfTheSplit) {
  // 30 positives (every third token), 60 negatives; the last 30 tokens are test.
  std::vector<TokenFacts> facts(90);
  std::vector<bool> is_test(90);
  std::vector<std::int64_t> order;
  for (std::int64_t i = 0; i < 90; ++i) {
    facts[static_cast<std::size_t>(i)].eligible = true;
    facts[static_cast<std::size_t>(i)].script = i % 3 == 0 ? "Arabic" : "Latin";
    is_test[static_cast<std::size_t>(i)] = i >= 60;
    order.push_back((i * 7) % 90);  // a permutation: 7 and 90 are coprime
  }
  const auto arabic = select_classes({"arabic"}, {}).front();
  const TaskRows rows = balanced_rows(facts, is_test, arabic, order, 1000, 0.2);
  EXPECT_EQ(rows.available_positive, 30);
  EXPECT_EQ(rows.available_negative, 60);
  EXPECT_EQ(rows.train_positive.size(), 20u);
  EXPECT_EQ(rows.train_negative.size(), 20u);
  EXPECT_EQ(rows.test_positive.size(), 10u);
  EXPECT_EQ(rows.test_negative.size(), 10u);
  for (const auto row : rows.test_positive) EXPECT_TRUE(row >= 60 && row % 3 == 0);
  for (const auto row : rows.train_negative) EXPECT_TRUE(row < 60 && row % 3 != 0);
  // A cap of 10 tokens: 1 per label in test, 4 per label in train.
  const TaskRows capped = balanced_rows(facts, is_test, arabic, order, 10, 0.2);
  EXPECT_EQ(capped.test_positive.size(), 1u);
  EXPECT_EQ(capped.train_positive.size(), 4u);
  EXPECT_EQ(capped.train_negative.size(), 4u);
}

}  // namespace
}  // namespace sparse_probing

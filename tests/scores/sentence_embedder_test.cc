// The sentence embedder of the embedding scorer: BERT's normalisation and
// WordPiece on their own, then all-MiniLM-L6-v2 against its own runtime's
// ids and embeddings (minilm_reference/reference.json, written by
// minilm_reference/make_reference.py with sentence-transformers) when the
// model is installed.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <nlohmann/json.hpp>

#include "bert_words.h"
#include "dictlab/errors.h"
#include "sentence_embedder.h"
#include "wordpiece_tokenizer.h"

namespace label_scores {
namespace {

namespace fs = std::filesystem;
using Words = std::vector<std::string>;
using Ids = std::vector<std::int32_t>;

TEST(BertWords, LowercasedAccentsStrippedPunctuationAlone) {
  EXPECT_EQ(bert_words("Hello, World!"), Words({"hello", ",", "world", "!"}));
  EXPECT_EQ(bert_words("Café déjà-vu"), Words({"cafe", "deja", "-", "vu"}));
  EXPECT_EQ(bert_words("x+=1; $y"), Words({"x", "+", "=", "1", ";", "$", "y"})) << "ASCII symbols count as punctuation";
  EXPECT_EQ(bert_words("«quoted»"), Words({"«", "quoted", "»"})) << "Unicode punctuation";
}

TEST(BertWords, WhitespaceControlsAndIdeographs) {
  EXPECT_EQ(bert_words("  a\tb\r\nc\u00A0d  "), Words({"a", "b", "c", "d"}));
  EXPECT_EQ(bert_words(std::string("a\x01" "b\u200Bc", 7)), Words({"abc"})) << "control and format characters go";
  EXPECT_EQ(bert_words("東京abc"), Words({"東", "京", "abc"})) << "each ideograph a word";
  EXPECT_EQ(bert_words("ひらがな"), Words({"ひらかな"})) << "kana are not split; the voicing mark is an accent";
  EXPECT_EQ(bert_words("ПРИВЕТ İ"), Words({"привет", "i"})) << "İ decomposes to I and a dot, which goes";
  EXPECT_EQ(bert_words("a\xff" "b"), Words({"ab"})) << "an invalid byte is U+FFFD, which goes";
  EXPECT_TRUE(bert_words("").empty());
}

WordpieceTokenizer toy_tokenizer() {
  return WordpieceTokenizer({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "aff", "!", "é", "##s"},
                            "toy vocabulary");
}

TEST(Wordpiece, LongestPiecesFromTheStartOrOneUnknown) {
  const auto t = toy_tokenizer();
  EXPECT_EQ(t.word_pieces("unaffable"), Ids({4, 5, 6}));
  EXPECT_EQ(t.word_pieces("aff"), Ids({7}));
  EXPECT_EQ(t.word_pieces("unaffx"), Ids({1})) << "a part no piece covers: the whole word is [UNK]";
  EXPECT_EQ(t.word_pieces("és"), Ids({9, 10})) << "pieces end on character boundaries";
  EXPECT_EQ(t.word_pieces(std::string(101, 'a')), Ids({1})) << "over 100 characters";
  EXPECT_EQ(t.encode("Unaffable aff!", 64), Ids({2, 4, 5, 6, 7, 8, 3}));
  EXPECT_EQ(t.encode("Unaffable aff!", 4), Ids({2, 4, 5, 3})) << "cut to fit, [SEP] kept";
  EXPECT_EQ(t.encode("", 8), Ids({2, 3}));
  EXPECT_THROW(WordpieceTokenizer({"[PAD]", "[CLS]", "[SEP]"}, "v"), dictlab::PluginError) << "no [UNK]";
}

fs::path installed_model() { return SentenceEmbedder::installed_folder(); }

class MiniLmReference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!fs::exists(installed_model() / "model.safetensors")) return;
    embedder_ = new SentenceEmbedder(installed_model());
    std::ifstream in(fs::path(MINILM_REFERENCE_DIR) / "reference.json");
    reference_ = nlohmann::json::parse(in);
  }
  static void TearDownTestSuite() {
    delete embedder_;
    embedder_ = nullptr;
  }
  void SetUp() override {
    if (!embedder_)
      GTEST_SKIP() << "all-MiniLM-L6-v2 is not in " << installed_model().string()
                   << " (DICTLAB_LLM_CACHE moves it); get it with `bash .ci/install-llm`";
  }
  static std::vector<std::string> texts() {
    std::vector<std::string> out;
    for (const auto& c : reference_.at("cases")) out.push_back(c.at("text").get<std::string>());
    return out;
  }

  static SentenceEmbedder* embedder_;
  static nlohmann::json reference_;
};
SentenceEmbedder* MiniLmReference::embedder_ = nullptr;
nlohmann::json MiniLmReference::reference_;

TEST_F(MiniLmReference, IdsAreTheReferenceTokenizers) {
  for (const auto& c : reference_.at("cases"))
    EXPECT_EQ(embedder_->token_ids(c.at("text").get<std::string>()), c.at("ids").get<Ids>()) << c.at("text");
}

TEST_F(MiniLmReference, EmbeddingsAreSentenceTransformers) {
  const auto embeddings = embedder_->embed(texts());
  ASSERT_EQ(embeddings.size(), reference_.at("cases").size());
  double lowest_cosine = 1, largest_difference = 0;
  for (std::size_t i = 0; i < embeddings.size(); ++i) {
    const auto expected = reference_["cases"][i].at("embedding").get<std::vector<double>>();
    ASSERT_EQ(embeddings[i].size(), expected.size());
    double dot = 0, norm = 0, worst = 0;
    for (std::size_t k = 0; k < expected.size(); ++k) {
      dot += embeddings[i][k] * expected[k];
      norm += expected[k] * expected[k];
      worst = std::max(worst, std::abs(embeddings[i][k] - expected[k]));
    }
    const auto text = reference_["cases"][i].at("text").get<std::string>();
    EXPECT_GT(dot / std::sqrt(norm), 0.9999) << text;  // ours has unit length
    EXPECT_LT(worst, 1e-4) << text;
    lowest_cosine = std::min(lowest_cosine, dot / std::sqrt(norm));
    largest_difference = std::max(largest_difference, worst);
  }
  // In the XML report (--gtest_output=xml), for how close it is, not only whether.
  auto shown = [](double x) { return (std::ostringstream() << std::setprecision(9) << x).str(); };
  RecordProperty("lowest_cosine", shown(lowest_cosine));
  RecordProperty("largest_difference", shown(largest_difference));
}

TEST_F(MiniLmReference, PaddingDoesNotChangeAnEmbedding) {
  const auto all = texts();
  const auto together = embedder_->embed(all);  // padded to the longest
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto alone = embedder_->embed({all[i]}).at(0);
    for (std::size_t k = 0; k < alone.size(); ++k) ASSERT_NEAR(alone[k], together[i][k], 2e-6) << all[i];
  }
}

TEST(SentenceEmbedder, AFolderWithoutTheModelNamesTheMissingFile) {
  const fs::path folder = fs::temp_directory_path() / "dictlab-empty-embedding-model";
  fs::create_directories(folder);
  try {
    SentenceEmbedder embedder(folder);
    FAIL() << "an empty folder loaded";
  } catch (const dictlab::PluginError& error) {
    EXPECT_NE(std::string(error.what()).find("config.json"), std::string::npos) << error.what();
  }
  fs::remove_all(folder);
}

}  // namespace
}  // namespace label_scores

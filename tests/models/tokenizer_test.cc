#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "dictlab/bpe_tokenizer.h"
#include "dictlab/token_shards.h"
#include "runner.h"
#include "tiny_corpus.h"

namespace dictlab::testing {
namespace {

const std::vector<std::string> kEveryScript = {
    "plain ASCII, with  double spaces\tand tabs\n",
    "العربية: بسم الله",
    "עברית: שלום עולם",
    "中文：床前明月光",
    "日本語のテキスト",
    "Русский текст",
    "emoji 😀🎉 and ZWJ 👩‍💻",
    "combining e\xCC\x81 and RTL \xE2\x80\x8F mark",
    "ACGTACGTNNNN",
    "\x01\x02 control bytes",
};

class Tokenizer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    write_tiny_corpus(*dir_ / "corpus");
    write_text(*dir_ / "exp.toml", tiny_pipeline_toml(*dir_ / "run", *dir_ / "corpus"));
    auto experiment = host::read_experiment(*dir_ / "exp.toml");
    ASSERT_TRUE(experiment.ok()) << experiment.status();
    experiment->stages.pop_back();  // no model
    const auto registry = host::PluginRegistry::discover({DICTLAB_BUILD_PLUGIN_DIR});
    std::ostringstream out;
    const auto status = host::run_experiment(*experiment, registry, {}, out);
    ASSERT_TRUE(status.ok()) << status << out.str();
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::filesystem::path stage() { return *dir_ / "run/stages/tokens"; }
  static TempDir* dir_;
};
TempDir* Tokenizer::dir_ = nullptr;

TEST_F(Tokenizer, WritesShardsWhoseSizesMatchTokensJson) {
  const auto info = TokenSetInfo::read(stage());
  EXPECT_EQ(info.vocab_size, 400);
  EXPECT_EQ(info.dtype, "uint16");
  std::ifstream in(stage() / "tokens.json");
  const auto json = nlohmann::json::parse(in);
  const TokenShard train(stage() / "tokens.train.bin", info.dtype);
  const TokenShard heldout(stage() / "tokens.heldout.bin", info.dtype);
  EXPECT_EQ(train.size(), json["splits"]["train"].get<std::int64_t>());
  EXPECT_EQ(heldout.size(), json["splits"]["heldout"].get<std::int64_t>());
  EXPECT_GT(heldout.size(), 0);
  for (std::int64_t i = 0; i < train.size(); ++i) ASSERT_LT(train[i], 400u);
  EXPECT_EQ(train[train.size() - 1], static_cast<std::uint32_t>(info.document_separator));
}

TEST_F(Tokenizer, ASplitOpensByNameAndOneTooShortForAContextIsRefusedSayingWhy) {
  const TokenShard heldout(stage(), "heldout", 8);
  EXPECT_EQ(heldout.size(), TokenShard(stage() / "tokens.heldout.bin", "uint16").size());
  try {
    const TokenShard too_short(stage(), "heldout", heldout.size());
    FAIL() << "a split of " << heldout.size() << " tokens holds no context of as many";
  } catch (const PluginError& error) {
    EXPECT_NE(std::string(error.what()).find("heldout split in " + stage().string()), std::string::npos) << error.what();
  }
}

TEST_F(Tokenizer, RoundTripsTextInEveryScriptExactly) {
  const auto tokenizer = BpeTokenizer::from_file(stage() / "dictlab_tokenizer.json");
  for (const auto& text : kEveryScript) {
    const auto ids = tokenizer.encode(text);
    EXPECT_FALSE(ids.empty());
    EXPECT_EQ(tokenizer.decode(ids), text);
  }
}

TEST_F(Tokenizer, UnseenCharactersFallBackToBytesInsteadOfUnknown) {
  const auto tokenizer = BpeTokenizer::from_file(stage() / "dictlab_tokenizer.json");
  const auto ids = tokenizer.encode("ᚠᛇᚻ");  // runes: not in the corpus
  EXPECT_EQ(ids.size(), 9u);                 // three 3-byte characters
  for (auto id : ids) EXPECT_NE(id, 0);      // 0 is <unk>
}

TEST_F(Tokenizer, FrequentTextBecomesFewerTokensThanBytes) {
  const auto tokenizer = BpeTokenizer::from_file(stage() / "dictlab_tokenizer.json");
  const std::string text = "The cat sat on the mat and looked at the dog. ";
  // 400 tokens leave only ~140 merges for ten scripts; still, text seen
  // often must come out shorter than its bytes.
  EXPECT_LT(tokenizer.encode(text).size(), text.size());
}

TEST(TokenizerOptions, AVocabularyTooLargeForTheCorpusNamesTheKey) {
  TempDir dir;
  for (const char* name : {"a", "b", "c", "d", "e"}) write_text(dir / "corpus" / name, "a tiny corpus");
  write_text(dir / "exp.toml", "[[stage]]\nname = \"corpus\"\nplugin = \"text_files\"\npaths = [\"" +
                                   (dir / "corpus").string() + "\"]\n[[stage]]\nname = \"tokens\"\n"
                                   "plugin = \"sentencepiece_bpe\"\ninputs = [\"corpus\"]\nheldout_fraction = 0.4\n"
                                   "vocab_size = 5000\n");
  auto experiment = host::read_experiment(dir / "exp.toml");
  ASSERT_TRUE(experiment.ok());
  std::ostringstream out;
  const auto status = host::run_experiment(*experiment, host::PluginRegistry::discover({DICTLAB_BUILD_PLUGIN_DIR}),
                                           {.run_dir = (dir / "run").string()}, out);
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  EXPECT_NE(status.message().find("exp.toml:10:1: key 'vocab_size': "), std::string::npos) << status;
  EXPECT_NE(status.message().find("Vocabulary size too high"), std::string::npos) << status;
}

}  // namespace
}  // namespace dictlab::testing

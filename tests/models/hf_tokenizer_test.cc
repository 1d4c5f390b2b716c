// The Hugging Face tokenizer files a sentencepiece_bpe stage writes beside
// dictlab's own vocabulary: their structure here, their ids against the
// `tokenizers` and `transformers` packages (when DICTLAB_PYTHON names a
// Python that has them).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "dictlab/tokenizer_files.h"
#include "dictlab/token_shards.h"
#include "hf_tokenizer_check.h"
#include "runner.h"
#include "tiny_corpus.h"

namespace dictlab::testing {
namespace {

nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

constexpr int kVocabSize = 800;  // the tiny corpus allows at most 831

class HfTokenizer : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    write_tiny_corpus(*dir_ / "corpus");
    // More pieces than the other tests' 400, so that hundreds of merges are
    // compared rather than the few left after ten scripts' characters.
    std::string toml = tiny_pipeline_toml(*dir_ / "run", *dir_ / "corpus");
    const auto at = toml.find("vocab_size = 400");
    ASSERT_NE(at, std::string::npos) << toml;
    toml.replace(at, 16, "vocab_size = " + std::to_string(kVocabSize));
    write_text(*dir_ / "exp.toml", toml);
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
TempDir* HfTokenizer::dir_ = nullptr;

TEST_F(HfTokenizer, TokenizerJsonIsAByteFallbackBpeOverDictlabsVocabulary) {
  const auto hf = read_json(stage() / "tokenizer.json");
  const auto ours = read_json(stage() / "dictlab_tokenizer.json");
  const auto& model = hf.at("model");
  EXPECT_EQ(model.at("type"), "BPE");
  EXPECT_EQ(model.at("byte_fallback"), true);
  EXPECT_EQ(model.at("unk_token"), "<unk>");
  EXPECT_EQ(hf.at("added_tokens").size(), 0u);
  const auto& vocab = model.at("vocab");
  ASSERT_EQ(vocab.size(), static_cast<std::size_t>(TokenSetInfo::read(stage()).vocab_size));
  const auto& pieces = ours.at("pieces");
  ASSERT_EQ(vocab.size(), pieces.size());
  for (std::size_t id = 0; id < pieces.size(); ++id) EXPECT_EQ(vocab.at(pieces[id][0].get<std::string>()), id);
  // Each merge joins two normal pieces into a third.
  std::map<std::string, std::string> type;
  for (const auto& piece : pieces) type[piece[0]] = piece[2];
  // Hugging Face turns a character outside the vocabulary into bytes before
  // merging, dictlab after: the same only if no piece holds such a character.
  for (const auto& [piece, kind] : type) {
    if (kind != "n") continue;
    for (std::size_t i = 0; i < piece.size();) {
      std::size_t n = 1;
      while (i + n < piece.size() && (static_cast<unsigned char>(piece[i + n]) & 0xC0) == 0x80) ++n;
      const auto character = type.find(piece.substr(i, n));
      EXPECT_TRUE(character != type.end() && character->second == "n") << "byte " << i << " of " << piece;
      i += n;
    }
  }
  const auto& merges = model.at("merges");
  EXPECT_GT(merges.size(), 400u);
  for (const auto& merge : merges) {
    ASSERT_EQ(merge.size(), 2u);
    const std::string left = merge[0], right = merge[1];
    EXPECT_EQ(type[left], "n") << left;
    EXPECT_EQ(type[right], "n") << right;
    EXPECT_EQ(type[left + right], "n") << left << " + " << right;
  }
}

TEST_F(HfTokenizer, ConfigNamesTheEndOfDocumentPieceAndNoBos) {
  const auto config = read_json(stage() / "tokenizer_config.json");
  const auto ours = read_json(stage() / "dictlab_tokenizer.json");
  EXPECT_EQ(config.at("eos_token"), ours.at("pieces")[ours.at("eos_id").get<std::size_t>()][0]);
  EXPECT_TRUE(config.at("bos_token").is_null());
  EXPECT_EQ(config.at("add_bos_token"), false);
  EXPECT_EQ(config.at("split_special_tokens"), true);
}

TEST_F(HfTokenizer, DictlabsOwnFormatStillRoundTripsAndOldStagesStillLoad) {
  EXPECT_EQ(bpe_vocabulary_file(stage()), stage() / "dictlab_tokenizer.json");
  const auto tokenizer = BpeTokenizer::from_file(bpe_vocabulary_file(stage()));
  EXPECT_EQ(tokenizer.vocab_size(), kVocabSize);
  for (const auto& text : interop_texts()) {
    if (text.find("\xE2\x96\x81") != std::string::npos) continue;  // "▁" decodes to a space, as in SentencePiece
    EXPECT_EQ(tokenizer.decode(tokenizer.encode(text)), text);
  }
  // A stage from before the Hugging Face export: dictlab's vocabulary under tokenizer.json.
  TempDir old;
  std::filesystem::copy_file(stage() / "dictlab_tokenizer.json", old / "tokenizer.json");
  EXPECT_EQ(bpe_vocabulary_file(old.path()), old / "tokenizer.json");
  EXPECT_EQ(BpeTokenizer::from_file(bpe_vocabulary_file(old.path())).encode("The cat"), tokenizer.encode("The cat"));
  // Only the Hugging Face file: refused, naming the file it wants.
  TempDir hf_only;
  std::filesystem::copy_file(stage() / "tokenizer.json", hf_only / "tokenizer.json");
  try {
    (void)bpe_vocabulary_file(hf_only.path());
    FAIL() << "a folder without dictlab's vocabulary was accepted";
  } catch (const PluginError& error) {
    EXPECT_NE(std::string(error.what()).find("dictlab_tokenizer.json"), std::string::npos) << error.what();
  }
}

TEST_F(HfTokenizer, HuggingFaceReadersGiveDictlabsIdsAndText) {
  const auto tokenizer = BpeTokenizer::from_file(stage() / "dictlab_tokenizer.json");
  std::vector<std::string> texts = interop_texts();
  for (const auto& entry : std::filesystem::directory_iterator(dir_->path() / "corpus")) texts.push_back(read_text(entry.path()));
  const auto result = check_with_hugging_face(
      stage(), texts, [&](const std::string& text) { return tokenizer.encode(text); },
      [&](const std::vector<std::int32_t>& ids) { return tokenizer.decode(ids); });
  if (result.skipped) GTEST_SKIP() << *result.skipped;
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::cout << result.output;
}

}  // namespace
}  // namespace dictlab::testing

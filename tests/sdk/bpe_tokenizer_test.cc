// dictlab_tokenizer.json files with bad pieces: refused naming the file and the
// piece, where "<0x-9>" used to write before the byte table (exit 139).
#include "dictlab/bpe_tokenizer.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace dictlab {
namespace {

std::string error_of(const std::filesystem::path& file, const nlohmann::json& json) {
  testing::write_text(file, json.dump());
  try {
    BpeTokenizer::from_file(file.string());
  } catch (const PluginError& e) {
    return e.what();
  }
  return "no error";
}

nlohmann::json tokenizer_with(const nlohmann::json& piece) {
  return {{"type", "sentencepiece_bpe"},
          {"eos_id", 1},
          {"pieces", {{"<unk>", 0, "u"}, {"</s>", 0, "c"}, {"<0x41>", 0, "b"}, piece, {"ab", -1.0, "n"}}}};
}

TEST(BpeTokenizerFile, NegativeByteIsRefusedNamingTheFileAndThePiece) {
  testing::TempDir dir;
  const auto file = dir / "dictlab_tokenizer.json";
  const std::string message = error_of(file, tokenizer_with({"<0x-9>", 0, "b"}));
  EXPECT_NE(message.find(file.string() + ": piece 3 is a byte piece '<0x-9>'"), std::string::npos) << message;
}

TEST(BpeTokenizerFile, EveryMalformedPieceIsAPluginError) {
  testing::TempDir dir;
  const auto file = dir / "dictlab_tokenizer.json";
  for (const nlohmann::json& piece : std::vector<nlohmann::json>{{"<0x4>", 0, "b"}, {"<0xZZ>", 0, "b"},
                                                                  {"<0x41>x", 0, "b"}, {"a", "high", "n"},
                                                                  {"a", 0, "q"}, {"a", 0}, "a", {7, 0, "n"}})
    EXPECT_NE(error_of(file, tokenizer_with(piece)).find(file.string() + ": piece 3"), std::string::npos) << piece;
}

TEST(BpeTokenizerFile, EosIdOutsideTheVocabularyIsRefused) {
  testing::TempDir dir;
  const auto file = dir / "dictlab_tokenizer.json";
  auto json = tokenizer_with({"<0x42>", 0, "b"});
  json["eos_id"] = 5;
  EXPECT_NE(error_of(file, json).find("eos_id 5 is not a piece id"), std::string::npos);
}

TEST(BpeTokenizerFile, AValidFileEncodesWithItsBytePieces) {
  testing::TempDir dir;
  const auto file = dir / "dictlab_tokenizer.json";
  testing::write_text(file, tokenizer_with({"<0x42>", 0, "b"}).dump());
  const auto tokenizer = BpeTokenizer::from_file(file.string());
  EXPECT_EQ(tokenizer.encode("ab"), (std::vector<std::int32_t>{4}));
  EXPECT_EQ(tokenizer.encode("AB"), (std::vector<std::int32_t>{2, 3}));
  EXPECT_EQ(tokenizer.decode({2, 3, 4}), "ABab");
}

}  // namespace
}  // namespace dictlab

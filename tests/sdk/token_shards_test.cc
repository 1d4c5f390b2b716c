// Token files whose ids do not fit the token set's vocabulary: refused when
// opened, naming the file, the position and the id, before any reader
// (n-gram counts, embeddings) indexes a table with them.
#include "dictlab/token_shards.h"

#include <gtest/gtest.h>

#include <cstring>

#include "test_support.h"

namespace dictlab {
namespace {

void write_token_set(const std::filesystem::path& dir, std::int64_t vocab_size, const std::vector<std::uint16_t>& ids) {
  testing::write_text(dir / "tokens.json", nlohmann::json{{"vocab_size", vocab_size},
                                                          {"dtype", "uint16"},
                                                          {"document_separator", 1}}
                                               .dump());
  std::string bytes(ids.size() * 2, '\0');
  std::memcpy(bytes.data(), ids.data(), bytes.size());
  testing::write_text(dir / "tokens.train.bin", bytes);
}

std::string error_of(const std::function<void()>& open) {
  try {
    open();
  } catch (const PluginError& e) {
    return e.what();
  }
  return "no error";
}

TEST(TokenShardIds, IdPastTheVocabularyIsRefusedNamingFileOffsetAndId) {
  testing::TempDir dir;
  write_token_set(dir.path(), 16, {3, 4, 5, 1, 40000, 6, 7, 8, 9, 10});
  const std::string message = error_of([&] { TokenShard(dir.path(), "train", 4); });
  EXPECT_NE(message.find((dir / "tokens.train.bin").string() + ": token 4 (byte offset 8) has id 40000, not below "
                                                                "the vocabulary size 16"),
            std::string::npos)
      << message;
}

TEST(TokenShardIds, FileAndDtypeConstructorChecksAgainstTheTokensJsonBesideIt) {
  testing::TempDir dir;
  write_token_set(dir.path(), 16, {3, 4, 16});
  const std::string message = error_of([&] { TokenShard(dir / "tokens.train.bin", "uint16"); });
  EXPECT_NE(message.find("token 2 (byte offset 4) has id 16"), std::string::npos) << message;
}

TEST(TokenShardIds, IdsBelowTheVocabularyOpen) {
  testing::TempDir dir;
  write_token_set(dir.path(), 16, {3, 4, 15, 0, 1});
  const TokenShard shard(dir.path(), "train", 4);
  EXPECT_EQ(shard.size(), 5);
  EXPECT_EQ(shard[2], 15u);
  EXPECT_EQ(shard.vocab_size(), 16);
}

TEST(TokenShardIds, TokensJsonWithWrongTypesIsAPluginErrorNamingIt) {
  testing::TempDir dir;
  write_token_set(dir.path(), 16, {3, 4, 5, 6, 7});
  for (const std::string json : {R"({"vocab_size":"16","dtype":"uint16"})", R"({"vocab_size":16,"dtype":2})",
                                 R"({"vocab_size":16,"document_separator":16})", R"([16])",
                                 R"({"vocab_size":4294967296})"}) {
    testing::write_text(dir / "tokens.json", json);
    EXPECT_NE(error_of([&] { TokenShard(dir.path(), "train", 4); }).find((dir / "tokens.json").string()),
              std::string::npos)
        << json;
  }
}

}  // namespace
}  // namespace dictlab

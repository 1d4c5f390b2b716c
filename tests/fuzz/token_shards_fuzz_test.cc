// Mutated token sets: tokens.json with wrong types and sizes, and split files
// with ids past the vocabulary or a torn last token. An opened shard must be
// readable end to end and cut into windows without leaving the file.
#include <gtest/gtest.h>

#include "dictlab/token_shards.h"
#include "dictlab/token_windows.h"
#include "fuzz_runner.h"

namespace dictlab::fuzz {
namespace {

std::string tokens_json(std::int64_t vocab_size, const std::string& dtype) {
  return nlohmann::json{{"vocab_size", vocab_size},
                        {"dtype", dtype},
                        {"document_separator", 1},
                        {"splits", {{"train", 64}, {"heldout", 16}}}}
      .dump();
}

template <typename Id>
std::string token_bytes(std::size_t count, std::uint32_t vocab_size) {
  std::string bytes(count * sizeof(Id), '\0');
  for (std::size_t i = 0; i < count; ++i) {
    const Id id = static_cast<Id>((i * 7 + 3) % vocab_size);
    std::memcpy(bytes.data() + i * sizeof(Id), &id, sizeof(Id));
  }
  return bytes;
}

// Opens the split as an evaluator does and reads every token through a window.
void read_split(const std::filesystem::path& dir) {
  const TokenShard shard(dir, "train", 8);
  const auto windows = evenly_spaced_windows(shard, 0, 4, 4, 8);
  std::int64_t sum = 0;
  for (std::int64_t i = 0; i < shard.size(); ++i) sum += shard[i];
  for (auto id : windows) ASSERT_TRUE(id >= 0 && id < shard.vocab_size()) << "id " << id << " in a window";
  (void)sum;
}

TEST(TokenShardsFuzz, MutatedTokensJsonOpensOrFailsWithAClearError) {
  run_fuzz({.name = "tokens.json",
            .seeds = {tokens_json(300, "uint16"), tokens_json(70000, "uint32")},
            .inputs = 10000,
            .parse =
                [](const std::filesystem::path& file) {
                  // Fits both seeds: uint32 ids below 300 read as uint16 are
                  // ids below 300 too, interleaved with zeros.
                  write_file(file.parent_path() / "tokens.train.bin", token_bytes<std::uint32_t>(64, 300));
                  read_split(file.parent_path());
                },
            .file_name = "tokens.json"});
}

TEST(TokenShardsFuzz, MutatedSplitFilesOpenOrFailWithAClearError) {
  run_fuzz({.name = "tokens.train.bin",
            .seeds = {token_bytes<std::uint16_t>(64, 300), token_bytes<std::uint16_t>(200, 300)},
            .inputs = 10000,
            .parse =
                [](const std::filesystem::path& file) {
                  write_file(file.parent_path() / "tokens.json", tokens_json(300, "uint16"));
                  read_split(file.parent_path());
                },
            .file_name = "tokens.train.bin"});
}

}  // namespace
}  // namespace dictlab::fuzz

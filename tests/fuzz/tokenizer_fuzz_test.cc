// Mutated dictlab_tokenizer.json files: byte pieces like "<0x-9>", wrong JSON types,
// eos ids outside the vocabulary. A parsed tokenizer must also encode and
// decode without reading outside its tables.
#include <gtest/gtest.h>

#include "dictlab/bpe_tokenizer.h"
#include "fuzz_runner.h"

namespace dictlab::fuzz {
namespace {

std::string tokenizer_json(bool with_bytes) {
  nlohmann::json pieces = {{"<unk>", 0, "u"}, {"<s>", 0, "c"}, {"</s>", 0, "c"}};
  if (with_bytes)
    for (int b : {0x00, 0x41, 0x7f, 0xc3, 0xe2, 0xff}) {
      char name[8];
      std::snprintf(name, sizeof name, "<0x%02X>", b);
      pieces.push_back({name, 0, "b"});
    }
  for (const char* piece : {"\xE2\x96\x81t", "he", "\xE2\x96\x81the", "in", "g", "t", "h", "e", "\xE2\x96\x81"})
    pieces.push_back({piece, -static_cast<double>(pieces.size()), "n"});
  return nlohmann::json{{"type", "sentencepiece_bpe"}, {"eos_id", 2}, {"pieces", pieces}}.dump();
}

void encode_and_decode(const std::filesystem::path& file) {
  const auto tokenizer = BpeTokenizer::from_file(file);
  const auto ids = tokenizer.encode("the thing \xC3\xA9t\xE2 \xff A\x7f");
  const std::string text = tokenizer.decode(ids);
  (void)tokenizer.decode({-5, 0, static_cast<std::int32_t>(tokenizer.vocab_size()), 1 << 30});
  ASSERT_FALSE(ids.empty());
  for (auto id : ids) ASSERT_TRUE(id >= 0 && id < tokenizer.vocab_size()) << "id " << id << " from encode";
  (void)text;
}

TEST(TokenizerFuzz, MutatedTokenizerJsonParsesOrFailsWithAClearError) {
  run_fuzz({.name = "tokenizer.json",  // the name seeds the mutations: kept as it was
            .seeds = {tokenizer_json(true), tokenizer_json(false)},
            .inputs = 20000,
            .parse = encode_and_decode,
            .file_name = "dictlab_tokenizer.json"});
}

}  // namespace
}  // namespace dictlab::fuzz

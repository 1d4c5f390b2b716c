// Each token's document, and that document's source family, found from the
// tokens alone by the opening of the document's text.
#include <gtest/gtest.h>

#include "document_families.h"
#include "test_support.h"

namespace sparse_probing {
namespace {

// A model whose token i decodes to the letter 'a' + i: all DocumentFamilies asks of it.
class LetterModel : public dictlab::Model {
 public:
  std::string decode(const std::vector<std::int32_t>& ids) const override {
    std::string text;
    for (const auto id : ids) text += static_cast<char>('a' + id);
    return text;
  }
  void train(dictlab::RunContext&) override {}
  std::vector<dictlab::HookPoint> planned_hook_points(const dictlab::Options&) const override { return {}; }
  void load(const std::filesystem::path&, const std::string&) override {}
  dictlab::ModelShape shape() const override { return {}; }
  std::vector<dictlab::HookPoint> hook_points() const override { return {}; }
  std::string default_hook() const override { return {}; }
  std::vector<std::vector<float>> activations(const dictlab::TokenBatch&, const std::vector<std::string>&) override {
    return {};
  }
  double loss(const dictlab::TokenBatch&, const dictlab::HookEdits&) override { return 0; }
  std::vector<float> logits(const dictlab::TokenBatch&, const dictlab::HookEdits&) override { return {}; }
  std::vector<float> logit_weights(std::string_view) override { return {}; }
  bool export_bundle(const std::filesystem::path&) const override { return false; }
  std::vector<std::int32_t> encode(std::string_view) const override { return {}; }
  std::string generate(std::string_view, const dictlab::SamplingOptions&, const dictlab::HookEdits&) override {
    return {};
  }
};

TEST(DocumentFamilies, TokensGetTheFamilyOfTheirDocument) {
  dictlab::testing::TempDir dir;
  // Token 25 ('z') separates documents "abc", "bcd", "cc", "abd".
  const std::vector<std::uint16_t> ids = {0, 1, 2, 25, 1, 2, 3, 25, 2, 2, 25, 0, 1, 3};
  dictlab::testing::write_text(dir.path() / "tokens.json",
                               R"({"vocab_size": 26, "dtype": "uint16", "document_separator": 25})");
  dictlab::testing::write_text(dir.path() / "tokens.heldout.bin",
                               std::string(reinterpret_cast<const char*>(ids.data()), ids.size() * 2));
  const dictlab::TokenShard shard(dir.path(), "heldout", 2);
  // "cc" opens documents of two families, "abd" is in no document.
  const SourceFamilies sources({{"abc", "code/c"}, {"bcd", "bio/fasta"}, {"cc", "code/go"}, {"cc", "docs/man"},
                                {"xyz", "docs/info"}});
  EXPECT_EQ(sources.families(), (std::vector<std::string>{"bio", "code", "docs"}));
  const LetterModel model;
  DocumentFamilies families(shard, 25, model, sources);
  const std::vector<std::int32_t> expected = {1, 1, 1, -1, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1};
  for (std::size_t i = 0; i < ids.size(); ++i)
    EXPECT_EQ(families.family_at(static_cast<std::int64_t>(i)), expected[i]) << "position " << i;
  EXPECT_EQ(families.documents_seen(), 4);
  EXPECT_EQ(families.documents_matched(), 2);
}

}  // namespace
}  // namespace sparse_probing

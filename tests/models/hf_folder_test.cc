// Hugging Face llama folders: SmolLM2's GGUF written out as one
// (hf_folder_writer.h) and read back (hf_folder_loader.h) must give the
// GGUF model's logits (float32 weights either way: the only difference is
// the RoPE layout, so this checks that Q/K rows were un-permuted right) and
// the GGUF tokenizer's ids; Hugging Face's own readers (`tokenizers`,
// `transformers`, `safetensors`, via tests/interop/check_hf_llama_folder.py)
// must read the folder alike. Corrupt folders are refused naming the file
// and the key or tensor.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "dictlab/errors.h"
#include "dictlab/safetensors.h"
#include "gguf_file.h"
#include "gguf_tokenizer.h"
#include "gguf_tokenizer_from_file.h"
#include "hf_bpe_tokenizer_json.h"
#include "hf_folder_loader.h"
#include "hf_folder_writer.h"
#include "hf_llama_tensor_names.h"
#include "hf_tokenizer_check.h"
#include "llama_forward.h"
#include "test_support.h"

namespace {

using dictlab::testing::TempDir;
using namespace gguf_model;

const std::filesystem::path kModel = "/var/cache/dictlab/llm/SmolLM2-135M-Instruct.Q4_1.gguf";

// What byte-level BPE pre-tokenizers disagree on: scripts, digits, code,
// whitespace runs, apostrophes, control-token spellings (taken as text).
std::vector<std::string> texts() {
  std::vector<std::string> all = dictlab::testing::interop_texts();
  for (const char* text : {
           "The capital of France is",
           "<|im_start|>user\nHi there<|im_end|>\n<|endoftext|>",
           "for (int i = 0; i < 10; ++i) { sum += a[i] * 2; }\n",
           "x = {'key': [1, 2.5e-3, None]}  # comment\n\n\n",
           "I'm sure they'll say we've done it, isn't it? HE'S SURE.",
           "phone +1 (555) 123-4567, year 2026, ٣٤٥ and ½ ⅓ Ⅻ",
           "aGVsbG8gd29ybGQhIFRoaXMgaXMgYmFzZTY0Lg== and /9j/4AAQSkZJRg+/=",
           "tabs\t\t\tand\u00a0nbsp\n \n  \n",
           "مرحبا بالعالم! كيف حالك؟ ١٢٣",
           "你好，世界！今天天气很好。123个苹果",
           "emoji sequences 👨‍👩‍👧‍👦 🏳️‍🌈 ✈️ ❤️‍🔥",
       })
    all.push_back(text);
  return all;
}

std::string prefix_of(const std::string& message, std::size_t n = 300) { return message.substr(0, n); }

void expect_error(const std::function<void()>& action, std::initializer_list<std::string> parts) {
  try {
    action();
    ADD_FAILURE() << "no PluginError";
  } catch (const dictlab::PluginError& error) {
    const std::string message = error.what();
    for (const auto& part : parts) EXPECT_NE(message.find(part), std::string::npos) << part << " not in: " << message;
  }
}

// SmolLM2 written out once for the suite (~0.5 GB of float32).
class SmolLM2Folder : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!std::filesystem::exists(kModel)) return;
    dir_ = std::make_unique<TempDir>();
    write_hf_llama_folder(kModel, dir_->path());
  }
  static void TearDownTestSuite() { dir_.reset(); }
  void SetUp() override {
    if (!std::filesystem::exists(kModel))
      GTEST_SKIP() << kModel << " is absent; `bash .ci/install-llm` installs it";
  }
  static std::unique_ptr<TempDir> dir_;
};
std::unique_ptr<TempDir> SmolLM2Folder::dir_;

TEST_F(SmolLM2Folder, LogitsEqualTheGgufModels) {
  torch::NoGradGuard no_grad;
  const LlamaModel gguf = load_llama_model(kModel);
  const LlamaModel folder = load_hf_llama_model(dir_->path());
  EXPECT_EQ(folder.config().rope_layout, RopeLayout::halves);
  EXPECT_EQ(folder.config().rms_norm_eps, gguf.config().rms_norm_eps);
  EXPECT_EQ(folder.config().rope_base, gguf.config().rope_base);
  const GgufTokenizer tokenizer = tokenizer_from_gguf(GgufFile(kModel));
  double worst = 0;
  for (const char* prompt : {"The capital of France is", "def fibonacci(n):\n    if n < 2:",
                             "Once upon a time, in a land far away, there lived a dragon who"}) {
    const auto ids = tokenizer.encode(prompt);
    const torch::Tensor tokens = torch::tensor(std::vector<std::int64_t>(ids.begin(), ids.end())).unsqueeze(0);
    const torch::Tensor a = gguf.forward(tokens), b = folder.forward(tokens);
    const double difference = (a - b).abs().max().item<double>();
    worst = std::max(worst, difference);
    EXPECT_EQ(a.argmax(-1).equal(b.argmax(-1)), true) << prompt;
  }
  std::cout << "max |logit(folder) - logit(GGUF)| over 3 prompts: " << worst << "\n";
  // Same float32 weights; only the order of the head coordinates differs, so
  // the q.k sums add in another order: measured 4.8e-5, the bound is 4x that.
  // A wrong un-permutation (or none) moves logits by units.
  EXPECT_LT(worst, 2e-4);
}

// What a user does with such a folder: name it in the gguf_tokens and
// gguf_model stages instead of a GGUF file.
TEST_F(SmolLM2Folder, TheModelStagesTakeTheFolderAsTheyTakeTheGguf) {
  const TempDir run;
  for (int i = 0; i < 10; ++i)
    dictlab::testing::write_text(run / ("corpus/" + std::to_string(i) + ".txt"),
                                 "Document " + std::to_string(i) + ": the capital of France is Paris. def add(a, b):\n");
  const std::string file = "file = \"" + dir_->path().string() + "\"\n";
  dictlab::testing::write_text(run / "exp.toml", "[experiment]\nname = \"folder\"\nrun_dir = \"" + (run / "run").string() +
                                   "\"\n[[stage]]\nname = \"corpus\"\nplugin = \"text_files\"\npaths = [\"" +
                                   (run / "corpus").string() +
                                   "\"]\n[[stage]]\nname = \"tokens\"\nplugin = \"gguf_tokens\"\ninputs = [\"corpus\"]\n"
                                   "heldout_fraction = 0.45\n" + file +
                                   "[[stage]]\nname = \"model\"\nplugin = \"gguf_model\"\ninputs = [\"tokens\"]\n" + file);
  const auto result = dictlab::testing::run_command({DICTLAB_BINARY, "run", (run / "exp.toml").string()},
                                  {{"DICTLAB_PLUGIN_PATH", DICTLAB_BUILD_PLUGIN_DIR}});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  std::ifstream in(run / "run/stages/model/model.json");
  const auto stage = nlohmann::json::parse(in);
  EXPECT_EQ(stage["n_layers"], 30);
  EXPECT_EQ(stage["model_file"]["file"], std::filesystem::absolute(dir_->path()).string());
  EXPECT_TRUE(std::filesystem::exists(run / "run/stages/model/tokenizer.json"));
}

TEST_F(SmolLM2Folder, TokenizerGivesTheGgufIds) {
  const GgufTokenizer gguf = tokenizer_from_gguf(GgufFile(kModel));
  const GgufTokenizer folder(tokenizer_spec_from_hf_folder(dir_->path()));
  EXPECT_EQ(folder.vocab_size(), gguf.vocab_size());
  EXPECT_EQ(folder.bos_id(), gguf.bos_id());
  EXPECT_EQ(folder.eos_id(), gguf.eos_id());
  EXPECT_EQ(folder.adds_bos(), gguf.adds_bos());
  const auto all = texts();
  ASSERT_GE(all.size(), 30u);
  int same = 0;
  for (const auto& text : all) {
    const auto expected = gguf.encode(text);
    EXPECT_EQ(folder.encode(text), expected) << prefix_of(text);
    EXPECT_EQ(folder.encode(text, true), gguf.encode(text, true)) << prefix_of(text);
    same += folder.encode(text) == expected;
  }
  std::cout << same << "/" << all.size() << " texts: folder tokenizer ids == GGUF tokenizer ids\n";
}

// Hugging Face's own SmolLM2 tokenizer.json spells the pre-tokenizer as
// Digits(individual_digits) then ByteLevel and (older files) merges as "a b"
// strings; the loader must read that spelling to the same ids.
TEST_F(SmolLM2Folder, ReadsHuggingFacesSpellingOfThePreTokenizer) {
  TempDir copy;
  nlohmann::json tokenizer = nlohmann::json::parse(dictlab::testing::read_text(dir_->path() / "tokenizer.json"));
  tokenizer["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers",
       {{{"type", "Digits"}, {"individual_digits", true}},
        {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}}}};
  nlohmann::json merges = nlohmann::json::array();
  for (const auto& pair : tokenizer["model"]["merges"]) merges.push_back(pair[0].get<std::string>() + " " + pair[1].get<std::string>());
  tokenizer["model"]["merges"] = merges;
  dictlab::testing::write_text(copy / "tokenizer.json", tokenizer.dump());
  std::filesystem::copy_file(dir_->path() / "tokenizer_config.json", copy / "tokenizer_config.json");
  const TokenizerSpec spec = tokenizer_spec_from_hf_folder(copy.path());
  EXPECT_EQ(spec.pre, "smollm");
  const GgufTokenizer gguf = tokenizer_from_gguf(GgufFile(kModel));
  const GgufTokenizer folder(spec);
  for (const auto& text : texts()) EXPECT_EQ(folder.encode(text), gguf.encode(text)) << prefix_of(text);
}

const char* python_or_null() {
  const char* python = std::getenv("DICTLAB_PYTHON");
  return python && *python ? python : nullptr;
}
constexpr const char* kNoPython =
    "set DICTLAB_PYTHON to a Python with `tokenizers`, `transformers` (and `safetensors`, numpy, `gguf`) to run "
    "this check, e.g. DICTLAB_PYTHON=/var/cache/dictlab/python-checks/bin/python";

// Runs tests/interop/check_hf_llama_folder.py on `folder` with what
// `tokenizer` gives for texts() (and `gguf`, whose weights it compares).
dictlab::testing::CommandResult check_with_python(const char* python, const std::filesystem::path& folder,
                                                  const GgufTokenizer& tokenizer, const std::string& gguf = "") {
  TempDir cases_dir;
  {
    std::ofstream cases(cases_dir / "cases.jsonl", std::ios::binary);
    for (const auto& text : texts()) {
      const auto ids = tokenizer.encode(text);
      cases << nlohmann::json{{"text", text},
                              {"ids", ids},
                              {"ids_special", tokenizer.encode(text, true)},
                              {"decoded", tokenizer.decode_text(ids, true)}}
                   .dump()
            << "\n";
    }
  }
  std::vector<std::string> argv = {python, std::string(DICTLAB_SOURCE_DIR) + "/tests/interop/check_hf_llama_folder.py",
                                   folder.string(), (cases_dir / "cases.jsonl").string()};
  if (!gguf.empty()) argv.push_back(gguf);
  return dictlab::testing::run_command(argv, {{"HF_HUB_OFFLINE", "1"}, {"TRANSFORMERS_NO_ADVISORY_WARNINGS", "1"}});
}

TEST_F(SmolLM2Folder, HuggingFaceReadsTheFolder) {
  const char* python = python_or_null();
  if (!python) GTEST_SKIP() << kNoPython;
  const auto result = check_with_python(python, dir_->path(), tokenizer_from_gguf(GgufFile(kModel)), kModel.string());
  std::cout << result.output;
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

// The other regex sets tokenizer.json is written with, on SmolLM2's
// vocabulary: llama.cpp's hand-written splitting (GgufTokenizer) against
// `tokenizers` running the written patterns, BOS added where the spec says.
TEST(HfTokenizerJson, OtherPreTokenizersAgreeWithHuggingFace) {
  if (!std::filesystem::exists(kModel)) GTEST_SKIP() << kModel << " is absent; `bash .ci/install-llm` installs it";
  const GgufFile file(kModel);
  for (const char* pre : {"gpt-2", "starcoder", "llama3", "qwen2"}) {
    SCOPED_TRACE(pre);
    TokenizerSpec spec = tokenizer_spec_from_gguf(file);
    spec.pre = pre;
    spec.add_bos = std::string(pre) == "llama3";
    TempDir folder;
    dictlab::testing::write_text(folder / "tokenizer.json", hf_tokenizer_json(spec).dump());
    dictlab::testing::write_text(folder / "tokenizer_config.json",
                                 hf_tokenizer_config_json(spec, std::nullopt, std::nullopt).dump());
    const GgufTokenizer original(spec);
    const TokenizerSpec read = tokenizer_spec_from_hf_folder(folder.path());
    EXPECT_EQ(read.pre, spec.pre);
    const GgufTokenizer round_trip(read);
    for (const auto& text : texts()) {
      EXPECT_EQ(round_trip.encode(text), original.encode(text)) << prefix_of(text);
      EXPECT_EQ(round_trip.encode(text, true), original.encode(text, true)) << prefix_of(text);
    }
    if (const char* python = python_or_null()) {
      const auto result = check_with_python(python, folder.path(), original);
      std::cout << pre << ": " << result.output;
      EXPECT_EQ(result.exit_code, 0) << result.output;
    }
  }
  if (!python_or_null()) GTEST_SKIP() << "round trip checked; Hugging Face not run: " << kNoPython;
}

// A one-layer model small enough to write by hand, for the refusals.
class TinyFolder : public ::testing::Test {
 protected:
  void SetUp() override { write(config_, {}); }

  void write(const nlohmann::json& config, const std::map<std::string, std::vector<std::int64_t>>& shapes,
             const std::string& skip = "") {
    std::ofstream(dir_ / "config.json") << config.dump(2);
    dictlab::SafetensorsWriter writer;
    LlamaConfig c;
    c.n_layers = 1, c.d_model = 8, c.d_mlp = 16, c.n_heads = 2, c.n_kv_heads = 1, c.d_head = 4, c.d_vocab = 10;
    for (const auto& name : hf_llama_tensor_names(c, true)) {
      if (name.hf == skip) continue;
      const auto shape = shapes.contains(name.hf) ? shapes.at(name.hf) : name.shape;
      const torch::Tensor values = torch::randn(shape);
      writer.add_f32(name.hf, shape, values.data_ptr<float>());
    }
    writer.write(dir_ / "model.safetensors");
  }

  TempDir dir_;
  nlohmann::json config_ = {{"model_type", "llama"},   {"hidden_size", 8},       {"intermediate_size", 16},
                            {"num_hidden_layers", 1},  {"num_attention_heads", 2}, {"num_key_value_heads", 1},
                            {"vocab_size", 10},        {"rms_norm_eps", 1e-5},   {"tie_word_embeddings", true}};
};

TEST_F(TinyFolder, LoadsAndRuns) {
  const LlamaModel model = load_hf_llama_model(dir_.path());
  EXPECT_EQ(model.config().d_head, 4);
  EXPECT_EQ(model.config().rope_layout, RopeLayout::halves);
  EXPECT_EQ(model.forward(torch::tensor({{1, 2, 3}}, torch::kLong)).sizes(), (std::vector<std::int64_t>{1, 3, 10}));
}

// Half-precision checkpoints (each tensor its own dtype) are widened exactly.
TEST_F(TinyFolder, ReadsF16AndBF16) {
  dictlab::SafetensorsWriter writer;
  std::map<std::string, torch::Tensor> written;
  LlamaConfig c = read_hf_llama_config(dir_.path());
  int index = 0;
  for (const auto& name : hf_llama_tensor_names(c, true)) {
    const bool bf16 = index++ % 2 == 0;
    const torch::Tensor values = torch::randn(name.shape).to(bf16 ? torch::kBFloat16 : torch::kHalf);
    writer.add(name.hf, bf16 ? "BF16" : "F16", name.shape, values.data_ptr());
    written[name.gguf] = values.to(torch::kFloat);
  }
  writer.write(dir_ / "model.safetensors");
  const auto tensors = read_hf_llama_tensors(dir_.path(), c, true);
  ASSERT_EQ(tensors.size(), written.size());
  for (const auto& [name, tensor] : tensors) {
    EXPECT_EQ(tensor.scalar_type(), torch::kFloat) << name;
    EXPECT_TRUE(tensor.equal(written.at(name))) << name;
  }
}

// transformers 5 writes RoPE under rope_parameters.
TEST_F(TinyFolder, ReadsRopeParameters) {
  config_["rope_parameters"] = {{"rope_theta", 500000.0}, {"rope_type", "linear"}, {"factor", 4.0}};
  write(config_, {});
  const LlamaConfig c = read_hf_llama_config(dir_.path());
  EXPECT_EQ(c.rope_base, 500000.0);
  EXPECT_EQ(c.rope_linear_factor, 4.0);
  config_["rope_parameters"] = {{"rope_theta", 500000.0}, {"rope_type", "llama3"}, {"factor", 8.0}};
  write(config_, {});
  expect_error([&] { read_hf_llama_config(dir_.path()); }, {"config.json", "rope_parameters", "llama3"});
}

TEST_F(TinyFolder, OtherActivationIsRefused) {
  config_["hidden_act"] = "gelu";
  write(config_, {});
  expect_error([&] { load_hf_llama_model(dir_.path()); }, {"config.json", "'hidden_act'", "silu"});
}

TEST_F(TinyFolder, MissingConfigKeyIsNamed) {
  config_.erase("hidden_size");
  write(config_, {});
  expect_error([&] { load_hf_llama_model(dir_.path()); }, {"config.json", "'hidden_size'"});
}

TEST_F(TinyFolder, WrongTypeOfConfigKeyIsNamed) {
  config_["num_attention_heads"] = "two";
  write(config_, {});
  expect_error([&] { load_hf_llama_model(dir_.path()); }, {"config.json", "'num_attention_heads'", "integer"});
}

TEST_F(TinyFolder, WrongTensorShapeIsNamed) {
  write(config_, {{"model.layers.0.mlp.up_proj.weight", {16, 7}}});
  expect_error([&] { load_hf_llama_model(dir_.path()); },
               {"model.safetensors", "'model.layers.0.mlp.up_proj.weight'", "[16, 7]", "expected [16, 8]"});
}

TEST_F(TinyFolder, MissingTensorIsNamed) {
  write(config_, {}, "model.layers.0.self_attn.k_proj.weight");
  expect_error([&] { load_hf_llama_model(dir_.path()); },
               {dir_.path().string(), "'model.layers.0.self_attn.k_proj.weight'"});
}

TEST_F(TinyFolder, UntiedWithoutLmHeadIsNamed) {
  config_["tie_word_embeddings"] = false;
  write(config_, {});
  expect_error([&] { load_hf_llama_model(dir_.path()); }, {"'lm_head.weight'", "tie_word_embeddings"});
}

TEST_F(TinyFolder, UnsupportedPreTokenizerIsNamed) {
  std::ofstream(dir_ / "tokenizer.json")
      << R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "normalizer": null,
            "pre_tokenizer": {"type": "Whitespace"}})";
  expect_error([&] { tokenizer_spec_from_hf_folder(dir_.path()); }, {"tokenizer.json", "pre_tokenizer", "Whitespace"});
}

}  // namespace

// The sparse_probing stage in a tiny real run (tiny corpus, toy model, TopK
// dictionary), as a user runs it: probing.json and the gauges.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tiny_corpus.h"
#include "tiny_site_run.h"

namespace dictlab::testing {
namespace {

// Documents of two more source families beside the tiny corpus' own ("text"),
// in the Pile's JSONL that carries each document's source.
void write_family_documents(const std::filesystem::path& file) {
  std::string lines;
  for (int doc = 0; doc < 40; ++doc) {
    std::string code, prose;
    for (int i = 0; i < 12; ++i) {
      code += "def step_" + std::to_string(doc * 12 + i) + "(x):\n    return x * " + std::to_string(i) + "\n\n";
      prose += "Every morning the old ferry crossed the river while the town was still asleep. ";
    }
    lines += nlohmann::json{{"text", code}, {"meta", {{"pile_set_name", "code/python"}}}}.dump() + "\n";
    lines += nlohmann::json{{"text", prose}, {"meta", {{"pile_set_name", "docs/stories"}}}}.dump() + "\n";
  }
  write_text(file, lines);
}

class SparseProbingRun : public SharedRunSuite<SparseProbingRun> {
 public:
  static std::filesystem::path write_experiment(const std::filesystem::path& dir) {
    write_tiny_corpus(dir / "corpus");
    write_family_documents(dir / "corpus/families.jsonl");
    // More held-out documents than other tests keep, for a test split with every class.
    std::string pipeline = tiny_pipeline_toml(dir / "run", dir / "corpus", "steps = 60\n");
    const std::string heldout = "heldout_fraction = 0.1";
    pipeline.replace(pipeline.find(heldout), heldout.size(), "heldout_fraction = 0.4");
    const std::string toml =
        pipeline +
        "\n[[stage]]\nname = \"sae\"\nplugin = \"sae_topk\"\ninputs = [\"model\", \"tokens\"]\n"
        "d_sae = 128\nk = 8\nsteps = 60\nbatch_size = 256\nbuffer_contexts = 32\n"
        "\n[[stage]]\nname = \"probing\"\nplugin = \"sparse_probing\"\n"
        "inputs = [\"model\", \"tokens\", \"sae\", \"corpus\"]\ntokens = 8192\nexamples = 600\nmin_examples = 10\n";
    write_text(dir / "exp.toml", toml);
    return dir / "exp.toml";
  }
  static nlohmann::json probing() {
    std::ifstream in(run() / "stages/probing/probing.json");
    return nlohmann::json::parse(in);
  }
};

TEST_F(SparseProbingRun, ProbesEachClassTheCorpusHasForEachK) {
  const auto result = probing();
  EXPECT_EQ(result["hook"], "blocks.0.mlp.hook_post");
  EXPECT_EQ(result["k"], nlohmann::json({1, 2, 5}));
  // The tiny corpus has these (tiny_corpus.cc).
  for (const char* name : {"arabic", "hebrew", "cyrillic", "han", "code_vs_prose", "dna", "base64"}) {
    SCOPED_TRACE(name);
    const auto& entry = result["classes"][name];
    ASSERT_FALSE(entry.contains("skipped")) << entry.dump();
    EXPECT_GE(entry["test_per_label"].get<int>(), 10);
    EXPECT_LE(2 * (entry["train_per_label"].get<int>() + entry["test_per_label"].get<int>()), 600);
    ASSERT_EQ(entry["probes"].size(), 3u);
    for (const auto& probe : entry["probes"]) {
      const auto k = probe["k"].get<std::size_t>();
      EXPECT_EQ(probe["features"]["units"].size(), k);
      EXPECT_EQ(probe["neurons"]["units"].size(), k);
      for (const auto& unit : probe["features"]["units"]) EXPECT_LT(unit.get<int>(), 128);
      for (const auto& unit : probe["neurons"]["units"]) EXPECT_LT(unit.get<int>(), 64);
      for (const char* source : {"features", "neurons"}) {
        const double accuracy = probe[source]["accuracy"];
        EXPECT_GE(accuracy, 0.0);
        EXPECT_LE(accuracy, 1.0);
      }
    }
  }
  // A writing system is token identity, which the one MLP layer carries: five
  // neurons tell Arabic from the rest far above chance (120 test tokens: chance
  // is 0.5 ± 0.046), and five features of the tiny, briefly trained dictionary
  // well above it.
  const auto& arabic = result["classes"]["arabic"];
  EXPECT_GT(arabic["probes"][2]["neurons"]["accuracy"].get<double>(), 0.8) << arabic.dump();
  EXPECT_GT(arabic["probes"][2]["features"]["accuracy"].get<double>(), 0.65) << arabic.dump();
}

TEST_F(SparseProbingRun, ClassesWithTooFewTokensAreSkippedAndSaySo) {
  const auto result = probing();
  const auto& latex = result["classes"]["latex"];  // no LaTeX in the tiny corpus
  ASSERT_TRUE(latex.contains("skipped"));
  EXPECT_EQ(latex["available"]["positive"], 0);
  EXPECT_TRUE(latex["probes"].empty());
}

TEST_F(SparseProbingRun, EachSourceFamilyIsATaskAndEveryDocumentIsFound) {
  const auto result = probing();
  for (const char* name : {"family:code", "family:docs", "family:text"})
    EXPECT_EQ(result["classes"].count(name), 1u) << name << " in " << result["classes"].dump();
  EXPECT_GT(result["documents"]["seen"].get<int>(), 3);
  EXPECT_EQ(result["documents"]["matched"], result["documents"]["seen"]);
  // Every token of a found document is in its family's task, one way or the other.
  const auto& text = result["classes"]["family:text"]["available"];
  const auto& code = result["classes"]["family:code"]["available"];
  EXPECT_EQ(text["positive"].get<int>() + text["negative"].get<int>(),
            code["positive"].get<int>() + code["negative"].get<int>());
}

TEST_F(SparseProbingRun, AccuraciesAreGauges) {
  std::ifstream in(run() / "stages/probing/metrics.prom");
  const std::string metrics((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto result = probing();
  const double accuracy = result["classes"]["arabic"]["probes"][0]["features"]["accuracy"];
  // The value of the gauge `name` whose labels include all of `labels` (the host adds its own).
  auto value_of = [&](const std::string& name, const std::vector<std::string>& labels) -> double {
    std::istringstream lines(metrics);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("dictlab_" + name + "{", 0) != 0) continue;
      if (std::all_of(labels.begin(), labels.end(), [&](const auto& l) { return line.find(l) != std::string::npos; }))
        return std::stod(line.substr(line.rfind(' ') + 1));
    }
    ADD_FAILURE() << "no " << name << " with those labels in\n" << metrics;
    return -1;
  };
  EXPECT_NEAR(value_of("sae_probe_accuracy", {"class=\"arabic\"", "k=\"1\"", "source=\"features\""}), accuracy, 1e-12);
  // The mean over the classes probed, recomputed from probing.json.
  double sum = 0;
  int probed = 0;
  for (const auto& [name, entry] : result["classes"].items())
    if (!entry.contains("skipped")) sum += entry["probes"][2]["neurons"]["accuracy"].get<double>(), ++probed;
  EXPECT_NEAR(value_of("sae_probe_mean_accuracy", {"k=\"5\"", "source=\"neurons\""}),
              sum / probed, 1e-9);
}

// The options' ranges and choices are declared, so the host refuses bad
// values, each at its line, before any stage runs.
TEST(SparseProbingOptions, OutOfRangeValuesAreRefusedAtTheirPositions) {
  TempDir dir;
  write_text(dir / "exp.toml",
             "[[stage]]\nname = \"probing\"\nplugin = \"sparse_probing\"\n"
             "split = \"test\"\nk = [1, 0]\nclasses = [\"arabic\", \"hebrw\"]\nexamples = 3\ntest_fraction = 1.0\n");
  const auto result = run_command({DICTLAB_BINARY, "validate", (dir / "exp.toml").string()}, plugin_environment());
  EXPECT_NE(result.exit_code, 0);
  const std::string table = " in [[stage]] 'probing' (plugin sparse_probing) ";
  for (const std::string expected :
       {"exp.toml:4:1: key 'split'" + table + "must be one of \"heldout\", \"train\", not \"test\"",
        "exp.toml:5:1: every element of key 'k'" + table + "must be at least 1, but element 2 is 0",
        "exp.toml:6:1: every element of key 'classes'" + table,
        std::string("but element 2 is \"hebrw\"; did you mean \"hebrew\"?"),
        "exp.toml:7:1: key 'examples'" + table + "must be at least 4, not 3",
        "exp.toml:8:1: key 'test_fraction'" + table + "must be greater than 0 and less than 1, not 1"})
    EXPECT_NE(result.output.find(expected), std::string::npos) << expected << " not in\n" << result.output;
}

}  // namespace
}  // namespace dictlab::testing

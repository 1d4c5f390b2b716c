// Writes a tiny run at argv[1]/work/run and its exported feature browser at
// argv[1]/site, for the site's TypeScript tests (ctest fixture "site"): real
// C++ model, dictionary and analysis, so the browser is checked against what
// C++ computes, and a run directory for `dictlab serve` (the labelling page).
// Then a copy of the run, argv[1]/work/run-all, gets a second, smaller
// dictionary with its analysis and relation stages (tiny_site_run.h), and
// `dictlab export --all` writes its two linked sites to argv[1]/site-all.
// A third copy, argv[1]/work/run-architectures, gets a dictionary of each
// other architecture (architecture_stages()), exported with --all to
// argv[1]/site-architectures for the in-page model's golden values.
// The first run also gets labels and their scores (add_labels_and_scores),
// for the Labels page; the copies are made before, so they have none.
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include "dictlab/label_store.h"
#include "fake_llm_server.h"
#include "tiny_site_run.h"

namespace {

using namespace dictlab::testing;
using nlohmann::json;

bool run_dictlab(const std::vector<std::string>& argv) {
  const auto result = run_command(argv, plugin_environment());
  if (result.exit_code != 0) std::cerr << result.output;
  return result.exit_code == 0;
}

// A fake LLM whose answers vary with the question, so labels, and the scores
// label_scores gives them, differ from feature to feature: an explanation
// names the first example's strongest token (in one of two phrasings), a
// detection picks some contexts, a simulation predicts from each token's text.
std::string varied_answer(const json& request) {
  const std::string system = request["messages"][0]["content"];
  const std::string user = request["messages"].back()["content"];
  const std::size_t hash = std::hash<std::string>{}(user);
  if (user.find("the main thing this neuron does is find") != std::string::npos) {
    const auto at = user.find("\t10\n");
    const auto start = user.rfind('\n', at) + 1;
    const std::string token = at == std::string::npos ? "?" : user.substr(start, at - start);
    return hash % 2 ? "the token \"" + token + "\" in context" : "words like \"" + token + "\" in running text";
  }
  if (system.find("linguistics") != std::string::npos) {
    static const char* kChoices[] = {"[1, 2, 3]", "[1]", "[2, 4, 6]", "[1, 3, 5, 7]", "[]"};
    return kChoices[hash % 5];
  }
  const auto begin = user.find("<start>\n") + 8, end = user.find("\n<end>");
  std::string answer, line;
  std::istringstream tokens(user.substr(begin, end - begin));
  while (std::getline(tokens, line))
    answer += line + "\t" + std::to_string(std::hash<std::string>{}(line + user.substr(0, 40)) % 11) + "\n";
  return answer;
}

std::vector<json> read_jsonl(const std::filesystem::path& file) {
  std::vector<json> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) lines.push_back(json::parse(line));
  return lines;
}

// Real labeler stages over the run's analysis: `labels_baseline` (every
// feature that fired), `labels_llm` (16 features, from the fake LLM) and
// `labels_human` (6 of the LLM's features labelled by "ada" in labels.sqlite,
// two with the baseline's own words), then a `scores` stage (label_scores,
// the fake LLM again) scoring 12 labels of each.
bool add_labels_and_scores(const std::filesystem::path& work, const std::string& experiment_text) {
  FakeLlmServer llm(varied_answer);
  const std::string endpoint = "endpoint = \"" + llm.endpoint() + "\"\nmodel = \"fake-llm\"\n";
  std::string toml = experiment_text +
                     "\n[[stage]]\nname = \"labels_baseline\"\nplugin = \"baseline\"\ninputs = [\"features\"]\n"
                     "\n[[stage]]\nname = \"labels_llm\"\nplugin = \"llm\"\ninputs = [\"features\"]\nfeatures = 16\n" +
                     endpoint;
  write_text(work / "exp-labels.toml", toml);
  if (!run_dictlab({DICTLAB_BINARY, "run", (work / "exp-labels.toml").string(), "--run-dir", (work / "run").string()}))
    return false;
  std::map<std::int64_t, std::string> baseline;
  for (const auto& label : read_jsonl(work / "run/stages/labels_baseline/labels.jsonl"))
    baseline[label["feature"]] = label["text"];
  {
    dictlab::LabelStore people(work / "run" / dictlab::LabelStore::kFileName);
    int i = 0;
    for (const auto& label : read_jsonl(work / "run/stages/labels_llm/labels.jsonl")) {
      const std::int64_t feature = label["feature"];
      if (i == 6 || !baseline.contains(feature)) continue;
      const std::string text = i < 2 ? baseline[feature] : "a person's label " + std::to_string(i) + " of this feature";
      people.put("features", {.feature = feature, .author = "ada", .text = text, .rubric = double(i % 5)});
      ++i;
    }
  }
  toml += "\n[[stage]]\nname = \"labels_human\"\nplugin = \"human\"\ninputs = [\"features\"]\n"
          "\n[[stage]]\nname = \"scores\"\nplugin = \"label_scores\"\n"
          "inputs = [\"model\", \"tokens\", \"sae\", \"features\", \"labels_baseline\", \"labels_llm\", \"labels_human\"]\n"
          "features = 12\n" + endpoint;
  write_text(work / "exp-labels.toml", toml);
  return run_dictlab({DICTLAB_BINARY, "run", (work / "exp-labels.toml").string(), "--run-dir", (work / "run").string()});
}

}  // namespace

int main(int argc, char** argv) {
  using namespace dictlab::testing;
  if (argc != 2) {
    std::cerr << "usage: make_site_fixture OUT_DIR\n";
    return 2;
  }
  const std::filesystem::path out = std::filesystem::absolute(argv[1]);
  const auto work = out / "work";
  std::filesystem::remove_all(out);
  const auto experiment = write_tiny_site_experiment(work);
  const auto run = run_dictlab;
  if (!run({DICTLAB_BINARY, "run", experiment.string()})) return 1;
  for (const char* copy : {"run-all", "run-architectures"}) {
    std::filesystem::copy(work / "run", work / copy, std::filesystem::copy_options::recursive);
    std::filesystem::remove(work / copy / "run.lock");
  }
  if (!add_labels_and_scores(work, read_text(experiment)) ||
      !run({DICTLAB_BINARY, "export", (work / "run").string(), "--out", (out / "site").string()}))
    return 1;

  // The same experiment with the small dictionary: its first stages are
  // already done in the copy, so only sae_small and features_small run.
  const std::string toml = read_text(experiment) + small_dictionary_stages();
  write_text(work / "exp-all.toml", toml);
  if (!run({DICTLAB_BINARY, "run", (work / "exp-all.toml").string(), "--run-dir", (work / "run-all").string()}))
    return 1;
  write_relation_stages(work / "run-all");
  if (!run({DICTLAB_BINARY, "export", (work / "run-all").string(), "--all", "--out", (out / "site-all").string()}))
    return 1;

  // Every other architecture the in-page model runs, each with its own
  // check.json, in argv[1]/site-architectures/<analysis stage>.
  write_text(work / "exp-architectures.toml", read_text(experiment) + architecture_stages());
  if (!run({DICTLAB_BINARY, "run", (work / "exp-architectures.toml").string(), "--run-dir",
            (work / "run-architectures").string()}) ||
      !run({DICTLAB_BINARY, "export", (work / "run-architectures").string(), "--all", "--out",
            (out / "site-architectures").string()}))
    return 1;
  std::cout << "wrote " << out.string() << "\n";
  return 0;
}

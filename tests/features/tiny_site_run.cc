#include "tiny_site_run.h"

#include <array>
#include <vector>

#include "tiny_corpus.h"

namespace dictlab::testing {

std::map<std::string, std::string> plugin_environment() {
  return {{"DICTLAB_PLUGIN_PATH", DICTLAB_BUILD_PLUGIN_DIR}};
}

std::filesystem::path write_tiny_site_experiment(const std::filesystem::path& dir, const std::string& analysis_options,
                                                 const std::string& more_stages) {
  write_tiny_corpus(dir / "corpus");
  const std::string toml = tiny_pipeline_toml(dir / "run", dir / "corpus", "steps = 60\n") +
                           "\n[[stage]]\nname = \"sae\"\nplugin = \"sae_topk\"\ninputs = [\"model\", \"tokens\"]\n"
                           "d_sae = 128\nk = 8\nsteps = 60\nbatch_size = 256\nbuffer_contexts = 32\n"
                           "\n[[stage]]\nname = \"features\"\nplugin = \"feature_analysis\"\n"
                           "inputs = [\"model\", \"tokens\", \"sae\"]\ntokens = 2048\nlayout_epochs = 50\n" +
                           analysis_options + "\n" + more_stages;
  write_text(dir / "exp.toml", toml);
  return dir / "exp.toml";
}

std::string small_dictionary_stages() {
  return "\n[[stage]]\nname = \"sae_small\"\nplugin = \"sae_topk\"\ninputs = [\"model\", \"tokens\"]\n"
         "d_sae = 64\nk = 8\nsteps = 30\nbatch_size = 256\nbuffer_contexts = 32\n"
         "\n[[stage]]\nname = \"features_small\"\nplugin = \"feature_analysis\"\n"
         "inputs = [\"model\", \"tokens\", \"sae_small\"]\ntokens = 1024\nlayout_epochs = 20\n";
}

std::string architecture_stages() {
  // Tiny and short: each must train in a few seconds on two cores.
  const std::string training = "d_sae = 64\nsteps = 40\nbatch_size = 256\nbuffer_contexts = 32\n";
  std::string toml;
  for (const auto& [name, plugin, options] : std::vector<std::array<std::string, 3>>{
           {"l1", "sae_l1", ""},
           {"batchtopk", "sae_batchtopk", "k = 8\n"},
           {"jumprelu", "sae_jumprelu", "target_l0 = 8\n"},
           {"transcoder", "transcoder", "k = 8\n"}}) {
    const std::string dictionary = name == "transcoder" ? name : "sae_" + name;
    toml += "\n[[stage]]\nname = \"" + dictionary + "\"\nplugin = \"" + plugin +
            "\"\ninputs = [\"model\", \"tokens\"]\n" + training + options + "\n[[stage]]\nname = \"features_" + name +
            "\"\nplugin = \"feature_analysis\"\ninputs = [\"model\", \"tokens\", \"" + dictionary +
            "\"]\ntokens = 1024\nlayout_epochs = 20\n";
  }
  return toml;
}

void write_finished_manifest(const std::filesystem::path& stage_dir, const std::string& plugin) {
  const nlohmann::json manifest = {{"stage", stage_dir.filename().string()},
                                   {"plugin", plugin},
                                   {"plugin_version", "1"},
                                   {"config_digest", std::string(64, 'c')},
                                   {"output_digest", std::string(64, 'o')},
                                   {"duration_seconds", 1.0},
                                   {"finished_at", "2026-01-01T00:00:00Z"},
                                   {"summary", nlohmann::json::object()}};
  write_text(stage_dir / "manifest.json", manifest.dump(2) + "\n");
}

void write_relation_stages(const std::filesystem::path& run_dir) {
  const auto stages = run_dir / "stages";
  auto twin = [](std::int64_t unit, std::int64_t twin, double correlation) {
    return nlohmann::json{{"unit", unit}, {"twin", twin}, {"correlation", correlation}};
  };
  auto pair = [](std::int64_t child, std::int64_t parent, double correlation, double cosine) {
    return nlohmann::json{{"child", child}, {"parent", parent}, {"correlation", correlation}, {"cosine", cosine}};
  };

  nlohmann::json ab = {{"model_a", "model"}, {"dictionary_a", "sae"}, {"model_b", "model_b"}, {"dictionary_b", "sae_b"},
                       {"tokens", 2048}, {"features", {twin(0, 11, 0.91), twin(1, 12, 0.42)}},
                       {"neurons", {twin(0, 3, 0.4)}}};
  std::filesystem::create_directories(stages / "universality");
  write_text(stages / "universality/twins.json", ab.dump() + "\n");
  write_finished_manifest(stages / "universality", "universality");

  nlohmann::json ba = {{"model_a", "model_b"}, {"dictionary_a", "sae_b"}, {"model_b", "model"}, {"dictionary_b", "sae"},
                       {"tokens", 2048}, {"features", nlohmann::json::array()}, {"neurons", nlohmann::json::array()}};
  for (std::int64_t unit = 0; unit < 25; ++unit) ba["features"].push_back(twin(unit, 2, 0.5 + 0.01 * static_cast<double>(unit)));
  ba["features"].push_back(twin(30, 0, 0.7));
  std::filesystem::create_directories(stages / "universality_ba");
  write_text(stages / "universality_ba/twins.json", ba.dump() + "\n");
  write_finished_manifest(stages / "universality_ba", "universality");

  nlohmann::json pairs = {pair(0, 3, 0.6, 0.5), pair(1, 3, 0.8, 0.7)};
  for (std::int64_t child = 10; child < 35; ++child)
    pairs.push_back(pair(child, 7, 0.3 + 0.01 * static_cast<double>(child - 10), 0.2));
  const nlohmann::json splitting = {
      {"model", "model"},
      {"tokens", 2048},
      {"dictionaries", {{{"stage", "sae_small"}, {"d_sae", 64}}, {{"stage", "sae"}, {"d_sae", 128}}}},
      {"links", {{{"parent_dictionary", "sae_small"}, {"child_dictionary", "sae"}, {"pairs", pairs}}}}};
  std::filesystem::create_directories(stages / "splitting");
  write_text(stages / "splitting/splitting.json", splitting.dump() + "\n");
  write_finished_manifest(stages / "splitting", "feature_splitting");

  // Stopped mid-run: what it has written so far must not show.
  nlohmann::json partial = splitting;
  partial["links"][0]["pairs"] = {pair(0, 60, 0.99, 0.99), pair(99, 3, 0.99, 0.99)};
  std::filesystem::create_directories(stages / "splitting_rerun/checkpoint");
  write_text(stages / "splitting_rerun/checkpoint/state.json", "{}\n");
  write_text(stages / "splitting_rerun/pending.json", "{\"config_digest\": \"" + std::string(64, 'p') + "\"}\n");
  write_text(stages / "splitting_rerun/splitting.json", partial.dump() + "\n");
}

}  // namespace dictlab::testing

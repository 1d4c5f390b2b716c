#include "loopback_runs.h"

#include "dictlab/safetensors.h"

namespace dictlab::testing {

const std::map<std::string, std::string> kEnv = {
    {"DICTLAB_PLUGIN_PATH", std::string(DICTLAB_TEST_PLUGIN_DIR) + ":" + DICTLAB_BUILD_PLUGIN_DIR},
    {"OMP_NUM_THREADS", "1"}};

std::string experiment(const TempDir& dir, const std::string& stages, const std::string& experiment_table) {
  write_tiny_corpus(dir / "corpus");
  std::string toml = tiny_pipeline_toml(dir / "run", dir / "corpus");
  toml = toml.substr(0, toml.find("[[stage]]\nname = \"model\""));
  if (!experiment_table.empty()) toml.replace(toml.find("[experiment]\n"), 13, "[experiment]\n" + experiment_table);
  return toml + "[[stage]]\nname = \"model\"\nplugin = \"synthetic_mlp\"\ninputs = [\"tokens\"]\n\n" +
         "[[stage]]\nname = \"activations\"\nplugin = \"activation_cache\"\ninputs = [\"model\", \"tokens\"]\n"
         "activations = 16384\nshard_activations = 4096\n\n" +
         stages;
}

Ranks::Ranks(const TempDir& dir, int world, const std::vector<std::vector<std::string>>& extra_args,
             std::map<std::string, std::string> env) {
  env["WORLD_SIZE"] = std::to_string(world);
  env["MASTER_ADDR"] = "127.0.0.1";
  env["MASTER_PORT"] = std::to_string(free_port());
  for (int r = 0; r < world; ++r) {
    env["RANK"] = env["LOCAL_RANK"] = std::to_string(r);
    std::vector<std::string> argv = {DICTLAB_BINARY, "run"};
    for (const auto& arg : extra_args[static_cast<std::size_t>(r) % extra_args.size()]) argv.push_back(arg);
    processes_.push_back(std::make_unique<Process>(argv, env, dir / ("rank" + std::to_string(r) + ".log")));
  }
}

std::vector<int> Ranks::wait() {
  std::vector<int> codes;
  for (auto& process : processes_) codes.push_back(process->wait());
  return codes;
}

std::string Ranks::outputs() const {
  std::string text;
  for (std::size_t r = 0; r < processes_.size(); ++r)
    text += "--- rank " + std::to_string(r) + " ---\n" + processes_[r]->output();
  return text;
}

std::map<std::string, std::vector<float>> weights(const TempDir& dir, const std::string& stage) {
  const SafetensorsFile file(dir / "run/stages" / stage / "sae_weights.safetensors");
  std::map<std::string, std::vector<float>> tensors;
  for (const auto& [name, tensor] : file.tensors()) tensors[name] = tensor.as_floats();
  return tensors;
}

double largest_difference(const std::vector<float>& a, const std::vector<float>& b) {
  double largest = 0;
  for (std::size_t i = 0; i < a.size(); ++i) largest = std::max(largest, std::abs(double(a[i]) - double(b[i])));
  return largest;
}

}  // namespace dictlab::testing

// Mutated experiment files (the shipped ones, and one with include and
// sweep): every input parses or is refused with the file named in the message.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "experiment.h"
#include "fuzz_runner.h"

namespace dictlab::fuzz {
namespace {

namespace fs = std::filesystem;

std::string read_bytes(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

const char* kIncluded = R"([experiment]
run_dir = "runs/fuzz"
seed = 3

[[stage]]
name = "corpus"
plugin = "text_files"
paths = ["texts"]
)";

const char* kComposed = R"(include = ["included.toml"]

[experiment]
name = "composed"

[[stage]]
name = "sae_{size}_{l1}"
plugin = "sae_l1"
inputs = ["corpus"]
d_sae = "{size}"
l1_coefficient = "{l1}"
resample_steps = [500, 1000]
sweep.size = [512, 1024]
sweep.l1 = [0.5, 0.25]

[[stage]]
name = "metrics_{size}"
plugin = "sae_metrics"
inputs = ["sae_{size}_0.5"]
sweep = [{size = 512}, {size = 1024}]
)";

std::vector<std::string> experiment_seeds() {
  std::vector<std::string> seeds = {kComposed};
  for (const char* name : {"quickstart.toml", "sweep.toml", "universality.toml"})
    seeds.push_back(read_bytes(fs::path(DICTLAB_SOURCE_DIR) / "experiments" / name));
  return seeds;
}

// Shipped files include their neighbours: they sit beside the input.
void read_like_validate(const fs::path& file) {
  const fs::path folder = file.parent_path();
  if (!fs::exists(folder / "included.toml")) {
    std::ofstream(folder / "included.toml") << kIncluded;
    for (const auto& shipped : fs::directory_iterator(fs::path(DICTLAB_SOURCE_DIR) / "experiments"))
      if (shipped.path().extension() == ".toml") fs::copy_file(shipped.path(), folder / shipped.path().filename());
  }
  const auto experiment = host::read_experiment(file);
  if (experiment.ok()) return;
  const std::string message(experiment.status().message());
  if (message.find(".toml") == std::string::npos)
    throw std::runtime_error("an error that names no file: " + message);
  throw PluginError(message);
}

TEST(ExperimentFileFuzz, MutatedExperimentsParseOrFailNamingTheFile) {
  run_fuzz({.name = "experiment_file",
            .seeds = experiment_seeds(),
            .inputs = 4000,
            .parse = read_like_validate,
            .file_name = "input.toml"});
}

}  // namespace
}  // namespace dictlab::fuzz

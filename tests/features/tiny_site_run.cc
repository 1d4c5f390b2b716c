#include "tiny_site_run.h"

#include "tiny_corpus.h"

namespace dictlab::testing {

std::map<std::string, std::string> plugin_environment() {
  return {{"DICTLAB_PLUGIN_PATH", DICTLAB_BUILD_PLUGIN_DIR}};
}

std::filesystem::path write_tiny_site_experiment(const std::filesystem::path& dir, const std::string& analysis_options) {
  write_tiny_corpus(dir / "corpus");
  const std::string toml = tiny_pipeline_toml(dir / "run", dir / "corpus", "steps = 60\n") +
                           "\n[[stage]]\nname = \"sae\"\nplugin = \"sae_topk\"\ninputs = [\"model\", \"tokens\"]\n"
                           "d_sae = 128\nk = 8\nsteps = 60\nbatch_size = 256\nbuffer_contexts = 32\n"
                           "\n[[stage]]\nname = \"features\"\nplugin = \"feature_analysis\"\n"
                           "inputs = [\"model\", \"tokens\", \"sae\"]\ntokens = 2048\nlayout_epochs = 50\n" +
                           analysis_options;
  write_text(dir / "exp.toml", toml);
  return dir / "exp.toml";
}

}  // namespace dictlab::testing

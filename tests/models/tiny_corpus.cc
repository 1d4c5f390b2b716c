#include "tiny_corpus.h"

#include <random>
#include <vector>

namespace dictlab::testing {

void write_tiny_corpus(const std::filesystem::path& dir) {
  const std::vector<std::string> fragments = {
      "The cat sat on the mat and looked at the dog. ",
      "def add(a, b):\n    return a + b\n\n",
      "بسم الله الرحمن الرحيم الحمد لله رب العالمين ",
      "שלום עולם, מה שלומך היום? ",
      "床前明月光，疑是地上霜。举头望明月，低头思故乡。",
      "Привет, как дела? Всё хорошо, спасибо. ",
      "ACGTTGCAACGTAGCTAGCTAGGATCCGATCGATCG\n",
      "U29tZSBiYXNlNjQgdGV4dCBmb3IgdGVzdGluZw==\n",
      "Emoji too: 😀🎉👍 ",
      "<div class=\"box\"><p>Hello</p></div>\n",
  };
  std::mt19937 rng(7);
  for (int doc = 0; doc < 60; ++doc) {
    std::string text;
    for (int i = 0; i < 30; ++i) text += fragments[rng() % fragments.size()];
    write_text(dir / ("doc" + std::to_string(doc) + ".txt"), text);
  }
}

std::string tiny_pipeline_toml(const std::filesystem::path& run_dir, const std::filesystem::path& corpus_dir,
                               const std::string& model_options) {
  return "[experiment]\nname = \"tiny\"\nrun_dir = \"" + run_dir.string() +
         "\"\n\n[[stage]]\nname = \"corpus\"\nplugin = \"text_files\"\npaths = [\"" + corpus_dir.string() +
         "\"]\n\n[[stage]]\nname = \"tokens\"\nplugin = \"sentencepiece_bpe\"\ninputs = [\"corpus\"]\n"
         "vocab_size = 400\nheldout_fraction = 0.1\n\n"
         "[[stage]]\nname = \"model\"\nplugin = \"toy_transformer\"\ninputs = [\"tokens\"]\n"
         "d_model = 32\nd_mlp = 64\nn_heads = 2\ncontext_length = 32\nbatch_size = 8\nwarmup_steps = 5\n"
         "eval_interval = 20\neval_batches = 2\nsample_prompts = [\"The \"]\nsample_tokens = 8\n" +
         model_options;
}

}  // namespace dictlab::testing

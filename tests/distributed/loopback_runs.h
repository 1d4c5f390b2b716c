#pragma once

// `dictlab run` on the tiny pipeline (corpus, tokenizer, the synthetic MLP,
// an activation cache) as one process or as torchrun's ranks on loopback.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tiny_corpus.h"

namespace dictlab::testing {

extern const std::map<std::string, std::string> kEnv;

// The tiny corpus and tokenizer, the synthetic MLP, an activation cache
// (stage "activations"), then `stages`; the run directory is dir/run.
std::string experiment(const TempDir& dir, const std::string& stages, const std::string& experiment_table = "");

// `dictlab run` once per rank, as torchrun would start them.
class Ranks {
 public:
  Ranks(const TempDir& dir, int world, const std::vector<std::vector<std::string>>& extra_args,
        std::map<std::string, std::string> env = kEnv);
  Process& operator[](int rank) { return *processes_[static_cast<std::size_t>(rank)]; }
  // Every rank's exit code.
  std::vector<int> wait();
  // Every rank's output, for failure messages.
  std::string outputs() const;

 private:
  std::vector<std::unique_ptr<Process>> processes_;
};

// Every tensor of a stage's saved dictionary.
std::map<std::string, std::vector<float>> weights(const TempDir& dir, const std::string& stage);

double largest_difference(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace dictlab::testing

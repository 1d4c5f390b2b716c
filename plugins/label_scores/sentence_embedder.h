#pragma once

// Sentence embeddings as sentence-transformers makes them with
// all-MiniLM-L6-v2 (a 6-layer uncased BERT): WordPiece ids, the encoder's
// last hidden states, their mean over the text's tokens (padding left out),
// scaled to unit length. Runs in LibTorch on the CPU with no autograd, in
// batches of similar lengths; the header is free of torch so the plugin's
// own code compiles quickly.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace label_scores {

class SentenceEmbedder {
 public:
  // The model folder as .ci/install-llm installs it: config.json,
  // model.safetensors, vocab.txt, and sentence_bert_config.json for the
  // longest input (256 tokens without it). Throws dictlab::PluginError
  // naming the file that is missing or wrong.
  explicit SentenceEmbedder(const std::filesystem::path& folder);
  ~SentenceEmbedder();
  SentenceEmbedder(SentenceEmbedder&&) noexcept;

  // Where .ci/install-llm installs all-MiniLM-L6-v2:
  // $DICTLAB_LLM_CACHE/all-MiniLM-L6-v2, else /var/cache/dictlab/llm/all-MiniLM-L6-v2.
  static std::filesystem::path installed_folder();

  // The ids the encoder sees for `text`: [CLS] pieces [SEP], cut to the longest input.
  std::vector<std::int32_t> token_ids(const std::string& text) const;
  // One unit-length embedding per text, in order. Safe to call from several threads.
  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) const;

 private:
  struct Model;
  std::unique_ptr<Model> model_;
};

}  // namespace label_scores

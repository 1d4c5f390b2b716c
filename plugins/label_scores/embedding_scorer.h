#pragma once

// The embedding scorer (EleutherAI delphi's, with no LLM): embed the label
// and each of a feature's contexts with a sentence-embedding model; the
// score is how well the label's cosine similarity to a context separates the
// activating contexts from the silent ones, the ROC AUC, in [0, 1] (0.5:
// chance). A label that says what the feature responds to should sit closer
// to the texts where it fires.

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "contexts.h"
#include "sentence_embedder.h"

namespace label_scores {

class EmbeddingScorer {
 public:
  explicit EmbeddingScorer(const SentenceEmbedder& embedder) : embedder_(embedder) {}

  // Embeds the embedding contexts of every feature without an error, once
  // for all the labels scored on them. Returns early, with the features done
  // so far, when `stop` says so.
  void embed_contexts(const std::map<std::int64_t, FeatureContexts>& contexts, const std::function<bool()>& stop);

  struct Score {
    double auc;
    nlohmann::json details;  // {"contexts": [{"text", "activating", "similarity"}]}
  };
  // `label`'s score on `feature`'s contexts, which must have been embedded.
  // Safe to call from several threads.
  Score score(const std::string& label, std::int64_t feature) const;

 private:
  struct Embedded {
    const LabelledContexts* contexts;
    std::vector<std::vector<float>> embeddings;  // one per context
  };
  const SentenceEmbedder& embedder_;
  std::map<std::int64_t, Embedded> features_;
};

}  // namespace label_scores

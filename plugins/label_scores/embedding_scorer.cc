#include "embedding_scorer.h"

#include "dictlab/errors.h"
#include "scoring.h"

namespace label_scores {

void EmbeddingScorer::embed_contexts(const std::map<std::int64_t, FeatureContexts>& contexts,
                                     const std::function<bool()>& stop) {
  // A few hundred texts per call: the embedder sorts them by length into
  // batches, and a stop request waits for one call at most.
  constexpr std::size_t kTextsPerCall = 256;
  std::vector<std::int64_t> pending;
  std::vector<std::string> texts;
  auto flush = [&] {
    const auto embeddings = embedder_.embed(texts);
    std::size_t next = 0;
    for (std::int64_t feature : pending) {
      const LabelledContexts& c = contexts.at(feature).embedding;
      auto& embedded = features_[feature] = {&c, {}};
      embedded.embeddings.assign(embeddings.begin() + static_cast<std::ptrdiff_t>(next),
                                 embeddings.begin() + static_cast<std::ptrdiff_t>(next + c.texts.size()));
      next += c.texts.size();
    }
    pending.clear();
    texts.clear();
  };
  for (const auto& [feature, c] : contexts) {
    if (!c.embedding.error.empty() || features_.contains(feature)) continue;
    if (stop && stop()) return;
    pending.push_back(feature);
    texts.insert(texts.end(), c.embedding.texts.begin(), c.embedding.texts.end());
    if (texts.size() >= kTextsPerCall) flush();
  }
  if (!texts.empty()) flush();
}

EmbeddingScorer::Score EmbeddingScorer::score(const std::string& label, std::int64_t feature) const {
  const auto it = features_.find(feature);
  if (it == features_.end())
    throw dictlab::PluginError("feature " + std::to_string(feature) + "'s contexts were not embedded");
  const auto& [contexts, embeddings] = it->second;
  const auto label_embedding = embedder_.embed({label}).at(0);
  std::vector<double> similarities;
  nlohmann::json shown = nlohmann::json::array();
  for (std::size_t i = 0; i < embeddings.size(); ++i) {
    similarities.push_back(cosine_similarity(label_embedding, embeddings[i]));
    shown.push_back({{"text", llm_client::shown(contexts->texts[i])},
                     {"activating", static_cast<bool>(contexts->activating[i])},
                     {"similarity", similarities.back()}});
  }
  return {roc_auc(similarities, contexts->activating), {{"contexts", shown}}};
}

}  // namespace label_scores

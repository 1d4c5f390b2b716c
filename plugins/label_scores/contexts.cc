#include "contexts.h"

#include <algorithm>
#include <set>

#include "dictlab/errors.h"
#include "scoring.h"

namespace label_scores {
namespace {

// A small deterministic generator (the same draws on every platform, unlike
// the standard distributions).
class Draws {
 public:
  explicit Draws(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() { return mix(state_++); }
  std::int64_t below(std::int64_t n) { return n <= 0 ? 0 : static_cast<std::int64_t>(next() % static_cast<std::uint64_t>(n)); }
  template <typename T>
  void shuffle(std::vector<T>& items) {
    for (std::size_t i = items.size(); i > 1; --i)
      std::swap(items[i - 1], items[static_cast<std::size_t>(below(static_cast<std::int64_t>(i)))]);
  }

 private:
  std::uint64_t state_;
};

SimulationContext simulation_context(const std::vector<std::string>& tokens, const std::vector<float>& activations,
                                     bool top_example) {
  SimulationContext out;
  out.top_example = top_example;
  for (std::size_t t = 0; t < tokens.size() && t < activations.size(); ++t) {
    if (tokens[t].empty()) continue;  // the rest of a character shown on an earlier token
    out.tokens.push_back(tokens[t]);
    out.activations.push_back(activations[t]);
  }
  return out;
}

}  // namespace

std::string joined(const std::vector<std::string>& tokens) {
  std::string text;
  for (const auto& t : tokens) text += t;
  return text;
}

HeldoutPool::HeldoutPool(dictlab::Model& model, dictlab::DictionaryLearner& dictionary,
                         const dictlab::TokenShard& heldout, const std::vector<std::int64_t>& features, Shape shape,
                         const std::function<bool()>& stop)
    : display_(std::make_shared<dictlab::TokenDisplay>(model)) {
  length_ = model.shape().context_length;
  if (heldout.size() < length_) throw dictlab::PluginError("the held-out split is shorter than one context");
  window_ = std::clamp<std::int64_t>(shape.window, 1, length_);
  const std::int64_t d_sae = dictionary.shape().d_sae;
  std::vector<char> kept(static_cast<std::size_t>(d_sae), 0);
  for (std::int64_t f : features)
    if (f >= 0 && f < d_sae) {
      kept[static_cast<std::size_t>(f)] = 1;
      firings_[f];  // present, even if it never fires here
    }

  Draws draws(shape.seed ^ 0x6865'6C64'6F75'74ULL);
  const std::int64_t offsets = heldout.size() - length_ + 1;
  ids_.resize(static_cast<std::size_t>(shape.contexts * length_));
  for (std::int64_t c = 0; c < shape.contexts; ++c) {
    const std::int64_t offset = draws.below(offsets);
    for (std::int64_t t = 0; t < length_; ++t)
      ids_[static_cast<std::size_t>(c * length_ + t)] = static_cast<std::int32_t>(heldout[offset + t]);
  }

  constexpr std::int64_t kBatch = 8;
  const std::string hook = dictlab::dictionary_hook(model, dictionary).name;
  std::vector<float> codes;
  for (std::int64_t first = 0; first < shape.contexts; first += kBatch) {
    if (stop && stop()) {
      firings_.clear();
      return;
    }
    const std::int64_t n = std::min(kBatch, shape.contexts - first);
    const auto activations = dictlab::activations_at(model, {ids_.data() + first * length_, n, length_}, hook);
    codes.resize(static_cast<std::size_t>(n * length_ * d_sae));
    dictionary.encode(activations.data(), n * length_, codes.data());
    for (std::int64_t row = 0; row < n * length_; ++row) {
      const float* code = codes.data() + row * d_sae;
      for (std::int64_t f = 0; f < d_sae; ++f)
        if (code[f] > 0 && kept[static_cast<std::size_t>(f)])
          firings_[f].push_back({static_cast<std::int32_t>(first + row / length_),
                                 static_cast<std::int32_t>(row % length_), code[f]});
    }
  }
  contexts_ = shape.contexts;
}

HeldoutPool::HeldoutPool(std::vector<std::int32_t> ids, std::int64_t length, std::int64_t window,
                         std::unordered_map<std::int64_t, std::vector<Firing>> firings,
                         std::shared_ptr<const dictlab::TokenDisplay> display)
    : ids_(std::move(ids)),
      contexts_(static_cast<std::int64_t>(ids_.size()) / length),
      length_(length),
      window_(std::clamp<std::int64_t>(window, 1, length)),
      firings_(std::move(firings)),
      display_(std::move(display)) {
  for (auto& [feature, list] : firings_)
    std::sort(list.begin(), list.end(), [](const Firing& a, const Firing& b) {
      return std::tie(a.context, a.position) < std::tie(b.context, b.position);
    });
}

Window HeldoutPool::window(std::int64_t feature, std::int64_t context, std::int64_t start) const {
  Window out;
  out.tokens = display_->window(ids_.data() + context * length_ + start, window_);
  out.activations.assign(out.tokens.size(), 0.0f);
  if (const auto it = firings_.find(feature); it != firings_.end()) {
    const auto& list = it->second;
    auto at = std::lower_bound(list.begin(), list.end(), std::make_pair(context, start),
                               [](const Firing& f, const std::pair<std::int64_t, std::int64_t>& key) {
                                 return std::pair<std::int64_t, std::int64_t>(f.context, f.position) < key;
                               });
    for (; at != list.end() && at->context == context && at->position < start + window_; ++at)
      if (at->position - start < static_cast<std::int64_t>(out.activations.size()))
        out.activations[static_cast<std::size_t>(at->position - start)] = at->value;
  }
  return out;
}

bool HeldoutPool::silent(std::int64_t feature, std::int64_t context, std::int64_t start) const {
  const auto it = firings_.find(feature);
  if (it == firings_.end()) return true;
  const auto& list = it->second;
  const auto at = std::lower_bound(list.begin(), list.end(), std::make_pair(context, start),
                                   [](const Firing& f, const std::pair<std::int64_t, std::int64_t>& key) {
                                     return std::pair<std::int64_t, std::int64_t>(f.context, f.position) < key;
                                   });
  return at == list.end() || at->context != context || at->position >= start + window_;
}

FeatureContexts feature_contexts(const dictlab::FeatureEvidence& evidence, const HeldoutPool& pool,
                                 const ContextOptions& options, std::uint64_t seed) {
  FeatureContexts out;
  Draws draws(mix(seed ^ mix(static_cast<std::uint64_t>(evidence.feature) + 0x5C0E)));

  // Activating examples: the top ones the explainer may not have seen, then
  // the interval samples (weaker activations, as delphi's quantiles), without repeats.
  std::vector<const dictlab::ActivationExample*> top, spread;
  std::set<std::vector<std::string>> seen;
  const auto skip = static_cast<std::size_t>(options.skip_top_examples);
  const bool enough = evidence.top_examples.size() > skip;
  for (std::size_t i = enough ? skip : 0; i < evidence.top_examples.size(); ++i)
    if (seen.insert(evidence.top_examples[i].tokens).second) top.push_back(&evidence.top_examples[i]);
  for (const auto& interval : evidence.intervals)
    for (const auto& example : interval.examples)
      if (seen.insert(example.tokens).second) spread.push_back(&example);

  // Random held-out windows: any for simulation, silent ones for detection and embedding.
  auto random_windows = [&](std::int64_t wanted, bool need_silent) {
    std::vector<std::pair<std::int64_t, std::int64_t>> found;
    if (pool.contexts() == 0) return found;
    for (std::int64_t attempt = 0; attempt < 64 * wanted && static_cast<std::int64_t>(found.size()) < wanted;
         ++attempt) {
      const std::pair<std::int64_t, std::int64_t> at{draws.below(pool.contexts()), draws.below(pool.starts())};
      if (std::find(found.begin(), found.end(), at) != found.end()) continue;
      if (need_silent && !pool.silent(evidence.feature, at.first, at.second)) continue;
      found.push_back(at);
    }
    return found;
  };

  // Detection's and embedding's: half activating (half of those from the top,
  // half from the intervals), half silent.
  auto labelled_contexts = [&](std::int64_t count) {
    LabelledContexts made;
    const std::int64_t activating_wanted = count / 2, silent_wanted = count - activating_wanted;
    auto top_order = top, spread_order = spread;
    draws.shuffle(top_order);
    draws.shuffle(spread_order);
    std::vector<const dictlab::ActivationExample*> picked;
    const std::int64_t from_top = (activating_wanted + 1) / 2;
    for (std::size_t i = 0; i < top_order.size() && static_cast<std::int64_t>(picked.size()) < from_top; ++i)
      picked.push_back(top_order[i]);
    for (std::size_t i = 0; i < spread_order.size() && static_cast<std::int64_t>(picked.size()) < activating_wanted;
         ++i)
      picked.push_back(spread_order[i]);
    for (std::size_t i = 0; i < top_order.size() && static_cast<std::int64_t>(picked.size()) < activating_wanted; ++i)
      if (std::find(picked.begin(), picked.end(), top_order[i]) == picked.end()) picked.push_back(top_order[i]);

    std::vector<std::pair<std::string, bool>> contexts;
    for (const auto* example : picked) contexts.emplace_back(joined(example->tokens), true);
    for (const auto& [c, s] : random_windows(silent_wanted, true))
      contexts.emplace_back(joined(pool.window(evidence.feature, c, s).tokens), false);
    draws.shuffle(contexts);
    for (auto& [text, activating] : contexts) {
      made.texts.push_back(std::move(text));
      made.activating.push_back(activating);
    }
    if (picked.empty()) made.error = "no activating example in the feature store";
    else if (contexts.size() == picked.size()) made.error = "no held-out window without the feature";
    return made;
  };
  out.detection = labelled_contexts(options.detection);

  // Simulation: the strongest top examples left, then random windows.
  {
    const std::int64_t top_wanted = (options.simulation + 1) / 2;
    for (std::size_t i = 0; i < top.size() && static_cast<std::int64_t>(out.simulation.size()) < top_wanted; ++i)
      out.simulation.push_back(simulation_context(top[i]->tokens, top[i]->activations, true));
    const std::int64_t random_wanted = options.simulation - static_cast<std::int64_t>(out.simulation.size());
    for (const auto& [c, s] : random_windows(random_wanted, false)) {
      const auto window = pool.window(evidence.feature, c, s);
      out.simulation.push_back(simulation_context(window.tokens, window.activations, false));
    }
    std::erase_if(out.simulation, [](const SimulationContext& c) { return c.tokens.empty(); });
    if (top.empty()) out.simulation_error = "no activating example in the feature store";
    else if (out.simulation.empty()) out.simulation_error = "no context to simulate";
  }
  // Drawn last, so the other scorers' contexts (and the LLM's cached answers) stay as they were.
  if (options.embedding > 0) out.embedding = labelled_contexts(options.embedding);
  return out;
}

}  // namespace label_scores

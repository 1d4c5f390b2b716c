// Evaluator: the paper's universality comparison. Two models (A and B, e.g.
// two seeds) and a dictionary of each read the same held-out tokens; each
// feature of A is matched to the feature of B whose activations correlate
// with it most, and each neuron of A to B's best neuron likewise. The paper
// found features far more universal than neurons (median best correlation
// 0.72 against 0.46).
//
// inputs = [model A, dictionary A, model B, dictionary B, tokens], models and
// dictionaries in that order.
#include <algorithm>
#include <numeric>

#include "cross_correlation.h"
#include "dictlab/sdk.h"
#include "dictlab/token_shards.h"
#include "dictlab/token_windows.h"

namespace {

using dictlab::OptionSpec;
using dictlab::OptionType;
using dictlab::PluginError;
using dictlab::PluginKind;
using dictlab::StageInput;
using feature_matching::CrossCorrelation;

dictlab::PluginDescriptor describe() {
  return {.name = "universality",
          .version = "1.0.0",
          .summary = "Best-matching features and neurons of two models by activation correlation on the same tokens.",
          .options = {
              OptionSpec{"contexts", OptionType::kInt, "Held-out contexts read (evenly spaced).", std::int64_t{1024}}
                  .at_least(1),
          },
          .data_parallel = true};
}

std::vector<const StageInput*> inputs_of_kind(const dictlab::RunContext& context, PluginKind kind) {
  std::vector<const StageInput*> found;
  for (const auto& input : context.inputs())
    if (input.kind == kind) found.push_back(&input);
  return found;
}

template <typename Loaded>
std::shared_ptr<Loaded> open(dictlab::RunContext& context, const StageInput& input) {
  auto plugin = std::static_pointer_cast<Loaded>(context.open_plugin(input));
  plugin->load(input.dir, context.device());
  return plugin;
}

// The share of units whose best match is at most each tenth, for Grafana.
void add_distribution(dictlab::Report& report, const std::string& unit, const std::vector<double>& best) {
  for (int tenth = 1; tenth <= 10; ++tenth) {
    const double le = tenth / 10.0;
    const auto count = std::count_if(best.begin(), best.end(), [&](double c) { return c <= le + 1e-12; });
    char bound[8];
    std::snprintf(bound, sizeof bound, "%.1f", le);
    report.figures.push_back({"universality_correlation_units", static_cast<double>(count),
                              {{"unit", unit}, {"le", bound}},
                              "Units of A whose best correlation with B is at most le."});
  }
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const std::size_t middle = values.size() / 2;
  return values.size() % 2 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

class Universality : public dictlab::Evaluator {
 public:
  dictlab::Report evaluate(dictlab::RunContext& context) override {
    const std::int64_t contexts = context.options().get_int("contexts");
    const auto models = inputs_of_kind(context, PluginKind::kModel);
    const auto dictionaries = inputs_of_kind(context, PluginKind::kDictionary);
    if (models.size() != 2 || dictionaries.size() != 2)
      throw PluginError("universality reads two models and two dictionaries (A's, then B's), but stage '" +
                        context.stage() + "' has " + std::to_string(models.size()) + " model and " +
                        std::to_string(dictionaries.size()) + " dictionary inputs");
    const auto model_a = open<dictlab::Model>(context, *models[0]);
    const auto model_b = open<dictlab::Model>(context, *models[1]);
    const auto dictionary_a = open<dictlab::DictionaryLearner>(context, *dictionaries[0]);
    const auto dictionary_b = open<dictlab::DictionaryLearner>(context, *dictionaries[1]);
    const auto shape_a = model_a->shape(), shape_b = model_b->shape();
    if (shape_a.vocab_size != shape_b.vocab_size)
      throw PluginError("models '" + models[0]->stage + "' and '" + models[1]->stage +
                        "' have different vocabularies (" + std::to_string(shape_a.vocab_size) + " and " +
                        std::to_string(shape_b.vocab_size) + " tokens); they must read the same tokens");
    // Neurons are compared in the basis each dictionary reads.
    const dictlab::HookPoint hook_a = dictlab::dictionary_hook(*model_a, *dictionary_a);
    const dictlab::HookPoint hook_b = dictlab::dictionary_hook(*model_b, *dictionary_b);
    const auto& tokens_stage = context.input(PluginKind::kTokenizer);
    const std::int64_t length = std::min(shape_a.context_length, shape_b.context_length);
    const dictlab::TokenShard heldout(tokens_stage.dir, "heldout", length);

    const std::int64_t d_sae_a = dictionary_a->shape().d_sae, d_sae_b = dictionary_b->shape().d_sae;
    CrossCorrelation neurons(hook_a.width, hook_b.width), features(d_sae_a, d_sae_b);
    // In a data-parallel run each rank takes every N-th batch.
    dictlab::Collectives& ranks = dictlab::collectives_of(context);
    constexpr std::int64_t kBatch = 32;
    context.progress().set_total(static_cast<double>(contexts));
    for (std::int64_t start = 0; start < contexts; start += kBatch) {
      if (ranks.any_stop(context.stop_requested())) return {};
      const std::int64_t n = std::min(kBatch, contexts - start), rows = n * length;
      if (!ranks.takes(start / kBatch)) {
        context.progress().set_done(static_cast<double>(start + n));
        continue;
      }
      const auto ids = dictlab::evenly_spaced_windows(heldout, start, n, contexts, length);
      const dictlab::TokenBatch batch{ids.data(), n, length};
      auto a = dictlab::activations_at(*model_a, batch, hook_a.name);
      auto b = dictlab::activations_at(*model_b, batch, hook_b.name);
      std::vector<float> fa(static_cast<std::size_t>(rows * d_sae_a)), fb(static_cast<std::size_t>(rows * d_sae_b));
      dictionary_a->encode(a.data(), rows, fa.data());
      dictionary_b->encode(b.data(), rows, fb.data());
      auto tensor = [rows](std::vector<float>& v, std::int64_t width) {
        return torch::from_blob(v.data(), {rows, width}, torch::kFloat);
      };
      neurons.add(tensor(a, hook_a.width), tensor(b, hook_b.width));
      features.add(tensor(fa, d_sae_a), tensor(fb, d_sae_b));
      context.progress().set_done(static_cast<double>(start + n));
    }
    neurons.sum_over(ranks);
    features.sum_over(ranks);
    if (!ranks.leader()) return {};  // rank 0 writes

    dictlab::Report report;
    nlohmann::json twins = {{"model_a", models[0]->stage},           {"dictionary_a", dictionaries[0]->stage},
                            {"model_b", models[1]->stage},           {"dictionary_b", dictionaries[1]->stage},
                            {"tokens", static_cast<std::int64_t>(features.rows())}};
    for (const auto& [unit, correlation] : {std::pair{"features", &features}, std::pair{"neurons", &neurons}}) {
      const auto matches = correlation->best_matches();
      std::vector<double> best;
      nlohmann::json list = nlohmann::json::array();
      for (std::int64_t i = 0; i < matches.index.size(0); ++i) {
        if (!matches.a_varied[i].item<bool>()) continue;  // never fired: nothing to match
        const double c = matches.correlation[i].item<double>();
        best.push_back(c);
        list.push_back({{"unit", i}, {"twin", matches.index[i].item<std::int64_t>()}, {"correlation", c}});
      }
      twins[unit] = std::move(list);
      const double mean = best.empty() ? 0 : std::accumulate(best.begin(), best.end(), 0.0) / static_cast<double>(best.size());
      report.figures.push_back({"universality_median_correlation", median(best), {{"unit", unit}},
                                "Median over A's units of the best activation correlation with a unit of B."});
      report.figures.push_back({"universality_mean_correlation", mean, {{"unit", unit}},
                                "Mean over A's units of the best activation correlation with a unit of B."});
      report.figures.push_back({"universality_units", static_cast<double>(best.size()), {{"unit", unit}},
                                "Units of A compared (those active on the tokens read)."});
      add_distribution(report, unit, best);
    }
    dictlab::AtomicFile::write_all(context.stage_dir() / "twins.json", twins.dump() + "\n");
    return report;
  }
};

}  // namespace

DICTLAB_PLUGIN(Universality, describe)

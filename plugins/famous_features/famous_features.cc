// Evaluator: the paper's famous features. Held-out tokens are sorted into
// kinds of text by their characters alone (Arabic script, Hebrew script,
// DNA, base64; see text_kinds/famous_text.h) and, for each kind, the feature
// of the dictionary that is most specific to it (share of the feature's
// activation mass on that kind of text) and most sensitive to it (share of
// that kind's tokens on which the feature fires) is found, beside the best
// single MLP neuron by the same measure, as the paper compares them.
//
// The unit is chosen on every other context and measured on the rest, so that
// choosing the best of thousands of features does not flatter its figures.
// inputs = [model, dictionary, tokens].
#include <torch/torch.h>

#include <algorithm>
#include <array>

#include "dictlab/collectives.h"
#include "dictlab/sdk.h"
#include "dictlab/token_shards.h"
#include "dictlab/token_windows.h"
#include "famous_text.h"

namespace {

using dictlab::OptionSpec;
using dictlab::OptionType;
using dictlab::PluginError;
using dictlab::PluginKind;
using text_kinds::FamousText;

constexpr std::int64_t kKinds = static_cast<std::int64_t>(text_kinds::kFamousTexts.size());

dictlab::PluginDescriptor describe() {
  return {.name = "famous_features",
          .version = "1.0.0",
          .summary = "The features (and neurons) most specific and sensitive to Arabic, Hebrew, DNA and base64 text.",
          .options = {
              OptionSpec{"contexts", OptionType::kInt,
                         "Contexts read, evenly spaced over the split (half to choose on, half to measure on).",
                         std::int64_t{2048}}
                  .at_least(2),
              OptionSpec{"split", OptionType::kString, "Token split read.", std::string("heldout")}.one_of(
                  {"heldout", "train"}),
              {"min_tokens", OptionType::kInt,
               "Fewest tokens of a kind, in each half, for its figures to be reported.", std::int64_t{100}},
          },
          .data_parallel = true};
}

// Sums over tokens, per kind of text (rows 0..kKinds-1) and in all (row
// kKinds), for each unit: its activation mass and the tokens it fired on.
struct KindSums {
  torch::Tensor mass, fires;  // [kKinds + 1, units], double
  torch::Tensor tokens = torch::zeros({kKinds + 1}, torch::kDouble);

  explicit KindSums(std::int64_t units)
      : mass(torch::zeros({kKinds + 1, units}, torch::kDouble)),
        fires(torch::zeros({kKinds + 1, units}, torch::kDouble)) {}

  // kinds: one-hot [rows, kKinds + 1] (last column all ones); activations [rows, units].
  void add(const torch::Tensor& kinds, const torch::Tensor& activations) {
    mass += torch::mm(kinds.t(), activations.clamp_min(0)).to(torch::kDouble);
    fires += torch::mm(kinds.t(), (activations > 0).to(torch::kFloat)).to(torch::kDouble);
    tokens += kinds.sum(0).to(torch::kDouble);
  }
  // Adds every rank's sums (of disjoint contexts) into each rank's.
  void sum_over(dictlab::Collectives& ranks) {
    std::vector<torch::Tensor> sums = {mass, fires, tokens};
    ranks.sum(sums);
  }
  torch::Tensor specificity(std::int64_t kind) const { return mass[kind] / mass[kKinds].clamp_min(1e-30); }
  torch::Tensor sensitivity(std::int64_t kind) const { return fires[kind] / tokens[kind].clamp_min(1); }
};

struct Measured {
  std::int64_t unit;
  double specificity, sensitivity, density;
};

// The unit with the best specificity x sensitivity on `choose`, measured on `measure`.
Measured best_unit(const KindSums& choose, const KindSums& measure, std::int64_t kind) {
  const std::int64_t unit = (choose.specificity(kind) * choose.sensitivity(kind)).argmax().item<std::int64_t>();
  return {unit, measure.specificity(kind)[unit].item<double>(), measure.sensitivity(kind)[unit].item<double>(),
          measure.fires[kKinds][unit].item<double>() / std::max(1.0, measure.tokens[kKinds].item<double>())};
}

// Units that are mostly about this kind of text on `measure` (half their
// activation mass or more on it) and fire on at least 1% of it, best first:
// the features a kind of text has split into.
std::vector<std::int64_t> specific_units(const KindSums& measure, std::int64_t kind) {
  constexpr double kSpecific = 0.5, kSensitive = 0.01;
  const torch::Tensor specificity = measure.specificity(kind), sensitivity = measure.sensitivity(kind);
  const torch::Tensor chosen = ((specificity >= kSpecific) & (sensitivity >= kSensitive)).nonzero().squeeze(1);
  const torch::Tensor order = (specificity * sensitivity).index_select(0, chosen).argsort(0, true);
  const torch::Tensor sorted = chosen.index_select(0, order).contiguous();
  return {sorted.data_ptr<std::int64_t>(), sorted.data_ptr<std::int64_t>() + sorted.numel()};
}

class FamousFeatures : public dictlab::Evaluator {
 public:
  dictlab::Report evaluate(dictlab::RunContext& context) override {
    const auto& options = context.options();
    const std::int64_t contexts = options.get_int("contexts"), min_tokens = options.get_int("min_tokens");
    const std::string split = options.get_string("split");
    const auto model = dictlab::open_input_model(context);
    const auto dictionary = dictlab::open_input_dictionary(context);
    const auto shape = model->shape();
    const std::int64_t d_sae = dictionary->shape().d_sae;
    const dictlab::HookPoint hook = dictlab::dictionary_hook(*model, *dictionary);
    const auto& tokens_stage = context.input(PluginKind::kTokenizer);
    const std::int64_t length = shape.context_length;
    const dictlab::TokenShard shard(tokens_stage.dir, split, length);

    std::vector<std::string> token_bytes;  // each id's bytes, possibly part of a character
    for (std::int32_t id = 0; id < shape.vocab_size; ++id) token_bytes.push_back(model->decode({id}));

    // [0]: contexts the unit is chosen on, [1]: those it is measured on.
    std::array<KindSums, 2> features{KindSums(d_sae), KindSums(d_sae)};
    std::array<KindSums, 2> neurons{KindSums(hook.width), KindSums(hook.width)};
    // In a data-parallel run each rank takes every N-th batch.
    dictlab::Collectives& ranks = dictlab::collectives_of(context);
    constexpr std::int64_t kBatch = 32;  // even, so that context parity is row-block parity within a batch
    context.progress().set_total(static_cast<double>(contexts));
    for (std::int64_t start = 0; start < contexts; start += kBatch) {
      if (ranks.any_stop(context.stop_requested())) return {};
      const std::int64_t n = std::min(kBatch, contexts - start), rows = n * length;
      if (!ranks.takes(start / kBatch)) {
        context.progress().set_done(static_cast<double>(start + n));
        continue;
      }
      const auto ids = dictlab::evenly_spaced_windows(shard, start, n, contexts, length);
      torch::Tensor one_hot = torch::zeros({rows, kKinds + 1});
      one_hot.select(1, kKinds).fill_(1);
      for (std::int64_t b = 0; b < n; ++b) {
        std::vector<std::string> window;
        for (std::int64_t t = 0; t < length; ++t)
          window.push_back(token_bytes.at(static_cast<std::size_t>(ids[static_cast<std::size_t>(b * length + t)])));
        const auto kinds = text_kinds::classify_tokens(window);
        for (std::int64_t t = 0; t < length; ++t)
          if (const auto kind = kinds[static_cast<std::size_t>(t)]; kind != FamousText::kOther)
            one_hot[b * length + t][static_cast<std::int64_t>(kind) - 1] = 1;
      }
      auto activations = dictlab::activations_at(*model, {ids.data(), n, length}, hook.name);
      std::vector<float> codes(static_cast<std::size_t>(rows * d_sae));
      dictionary->encode(activations.data(), rows, codes.data());
      const torch::Tensor a = torch::from_blob(activations.data(), {rows, hook.width});
      const torch::Tensor f = torch::from_blob(codes.data(), {rows, d_sae});
      // Even contexts choose, odd ones measure.
      auto contexts_of = [&](const torch::Tensor& x, std::int64_t parity) {
        return x.view({n, length, x.size(1)}).slice(0, parity, n, 2).reshape({-1, x.size(1)});
      };
      for (std::int64_t parity = 0; parity < std::min<std::int64_t>(2, n); ++parity) {
        neurons[parity].add(contexts_of(one_hot, parity), contexts_of(a, parity));
        features[parity].add(contexts_of(one_hot, parity), contexts_of(f, parity));
      }
      context.progress().set_done(static_cast<double>(start + n));
    }
    for (auto* sums : {&features[0], &features[1], &neurons[0], &neurons[1]}) sums->sum_over(ranks);
    if (!ranks.leader()) return {};  // rank 0 writes

    dictlab::Report report;
    nlohmann::json famous = {{"dictionary", context.input(PluginKind::kDictionary).stage},
                             {"split", split},
                             {"contexts", contexts},
                             {"kinds", nlohmann::json::object()}};
    for (std::int64_t kind = 0; kind < kKinds; ++kind) {
      const std::string name = text_kinds::name_of(text_kinds::kFamousTexts[static_cast<std::size_t>(kind)]);
      const double chosen_on = features[0].tokens[kind].item<double>(), measured_on = features[1].tokens[kind].item<double>();
      nlohmann::json entry = {{"tokens", {chosen_on, measured_on}},
                              {"share_of_tokens", (chosen_on + measured_on) /
                                                      (features[0].tokens[kKinds] + features[1].tokens[kKinds]).item<double>()}};
      report.figures.push_back({"famous_tokens", chosen_on + measured_on, {{"kind", name}},
                                "Tokens of this kind of text among those read."});
      if (std::min(chosen_on, measured_on) < static_cast<double>(min_tokens)) {
        context.log().info(name + ": " + std::to_string(static_cast<std::int64_t>(chosen_on + measured_on)) +
                           " tokens, too few to measure (min_tokens " + std::to_string(min_tokens) + " per half)");
        famous["kinds"][name] = entry;
        continue;
      }
      for (const auto& [unit, sums] : {std::pair{"feature", &features}, std::pair{"neuron", &neurons}}) {
        const Measured best = best_unit((*sums)[0], (*sums)[1], kind);
        entry[unit] = {{"id", best.unit},
                       {"specificity", best.specificity},
                       {"sensitivity", best.sensitivity},
                       {"density", best.density}};
        const auto specific = specific_units((*sums)[1], kind);
        entry[std::string("specific_") + unit + "s"] = specific;
        const dictlab::MetricLabels labels = {{"kind", name}, {"unit", unit}};
        report.figures.push_back({"famous_specific_units", static_cast<double>(specific.size()), labels,
                                  "Units with half their activation mass or more on this kind of text, firing on "
                                  "at least 1% of it (measured half)."});
        report.figures.push_back({"famous_specificity", best.specificity, labels,
                                  "Share of the best unit's activation mass on this kind of text (measured half)."});
        report.figures.push_back({"famous_sensitivity", best.sensitivity, labels,
                                  "Share of this kind's tokens on which the best unit fires (measured half)."});
      }
      famous["kinds"][name] = entry;
    }
    dictlab::AtomicFile::write_all(context.stage_dir() / "famous.json", famous.dump(2) + "\n");
    return report;
  }
};

}  // namespace

DICTLAB_PLUGIN(FamousFeatures, describe)

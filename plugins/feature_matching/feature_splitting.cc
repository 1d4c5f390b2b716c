// Evaluator: feature splitting. Dictionaries of one model at several sizes
// read the same held-out tokens; each feature of a larger dictionary is linked
// to the feature of the next smaller one whose activations correlate with it
// most (its parent), with the cosine of their decoder directions beside it.
// Following the links up from the smallest dictionary gives the family trees
// the paper draws (one base64 feature in A/0 becoming three in A/1, and more
// in A/2); a parent with several children is a feature that split.
//
// inputs = [model, two or more dictionaries of it (any order), tokens].
#include <algorithm>
#include <map>

#include "cross_correlation.h"
#include "dictlab/sdk.h"
#include "dictlab/token_shards.h"
#include "dictlab/token_windows.h"

namespace {

using dictlab::OptionSpec;
using dictlab::OptionType;
using dictlab::PluginError;
using dictlab::PluginKind;
using feature_matching::CrossCorrelation;

dictlab::PluginDescriptor describe() {
  return {.name = "feature_splitting",
          .version = "1.0.0",
          .summary = "Links each feature to its parent in the next smaller dictionary (activation correlation, "
                     "decoder cosine): the family trees of feature splitting.",
          .options = {
              OptionSpec{"contexts", OptionType::kInt, "Held-out contexts read (evenly spaced).", std::int64_t{512}}
                  .at_least(1),
          },
          .data_parallel = true};
}

struct Dictionary {
  std::string stage;
  std::shared_ptr<dictlab::DictionaryLearner> learner;
  std::int64_t d_sae = 0;
  torch::Tensor directions;  // [d_sae, d_in], unit rows
};

// The dictionaries of the stage's inputs, which must all read one hook of `model`.
std::vector<Dictionary> open_dictionaries(dictlab::RunContext& context, const dictlab::Model& model) {
  std::vector<Dictionary> dictionaries;
  for (const auto& input : context.inputs()) {
    if (input.kind != PluginKind::kDictionary) continue;
    auto learner = std::static_pointer_cast<dictlab::DictionaryLearner>(context.open_plugin(input));
    learner->load(input.dir, context.device());
    const auto shape = learner->shape();
    dictlab::dictionary_hook(model, *learner);
    if (!dictionaries.empty() && dictionaries.front().learner->shape().hook != shape.hook)
      throw PluginError("dictionary '" + input.stage + "' reads " + shape.hook + " but '" +
                        dictionaries.front().stage + "' reads " + dictionaries.front().learner->shape().hook +
                        ": feature splitting links dictionaries of one hook");
    auto rows = dictlab::decoder_directions(*learner);
    const torch::Tensor directions = torch::from_blob(rows.data(), {shape.d_sae, shape.d_in}).clone();
    dictionaries.push_back({input.stage, std::move(learner), shape.d_sae,
                            directions / directions.norm(2, 1, true).clamp_min(1e-12)});
  }
  if (dictionaries.size() < 2)
    throw PluginError("feature_splitting links dictionaries of several sizes, but stage '" + context.stage() +
                      "' has " + std::to_string(dictionaries.size()) + " dictionary input");
  std::stable_sort(dictionaries.begin(), dictionaries.end(),
                   [](const Dictionary& a, const Dictionary& b) { return a.d_sae < b.d_sae; });
  return dictionaries;
}

double median_of(const torch::Tensor& values) {
  return values.numel() == 0 ? 0.0 : values.to(torch::kDouble).median().item<double>();
}

// For each row of `children`, the row of `parents` with the largest cosine.
torch::Tensor closest_by_cosine(const torch::Tensor& children, const torch::Tensor& parents) {
  torch::Tensor index = torch::empty({children.size(0)}, torch::kLong);
  constexpr std::int64_t kChunk = 2048;  // bounds the [chunk, parents] similarity block
  for (std::int64_t start = 0; start < children.size(0); start += kChunk) {
    const std::int64_t n = std::min(kChunk, children.size(0) - start);
    index.narrow(0, start, n).copy_(torch::mm(children.narrow(0, start, n), parents.t()).argmax(1));
  }
  return index;
}

class FeatureSplitting : public dictlab::Evaluator {
 public:
  dictlab::Report evaluate(dictlab::RunContext& context) override {
    torch::NoGradGuard no_grad;
    const std::int64_t contexts = context.options().get_int("contexts");
    const auto model = dictlab::open_input_model(context);
    const auto shape = model->shape();
    auto dictionaries = open_dictionaries(context, *model);
    const std::string hook = dictionaries.front().learner->shape().hook;
    const auto& tokens_stage = context.input(PluginKind::kTokenizer);
    const std::int64_t length = shape.context_length;
    const dictlab::TokenShard heldout(tokens_stage.dir, "heldout", length);

    // pairs[i]: children of dictionary i + 1 against parents in dictionary i.
    std::vector<CrossCorrelation> pairs;
    for (std::size_t i = 0; i + 1 < dictionaries.size(); ++i)
      pairs.emplace_back(dictionaries[i + 1].d_sae, dictionaries[i].d_sae);
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
      const auto activations = dictlab::activations_at(*model, {ids.data(), n, length}, hook);
      std::vector<torch::Tensor> codes;
      for (auto& dictionary : dictionaries) {
        codes.push_back(torch::empty({rows, dictionary.d_sae}));
        dictionary.learner->encode(activations.data(), rows, codes.back().data_ptr<float>());
      }
      for (std::size_t i = 0; i < pairs.size(); ++i) pairs[i].add(codes[i + 1], codes[i]);
      context.progress().set_done(static_cast<double>(start + n));
    }
    for (auto& pair : pairs) pair.sum_over(ranks);
    if (!ranks.leader()) return {};  // rank 0 writes

    dictlab::Report report;
    nlohmann::json splitting = {{"model", context.input(PluginKind::kModel).stage},
                                {"tokens", static_cast<std::int64_t>(pairs.front().rows())},
                                {"dictionaries", nlohmann::json::array()},
                                {"links", nlohmann::json::array()}};
    for (const auto& d : dictionaries) splitting["dictionaries"].push_back({{"stage", d.stage}, {"d_sae", d.d_sae}});
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      const Dictionary &parent = dictionaries[i], &child = dictionaries[i + 1];
      const auto matches = pairs[i].best_matches();
      const torch::Tensor fired = matches.a_varied.nonzero().squeeze(1);
      const torch::Tensor parent_of = matches.index.index_select(0, fired);
      const torch::Tensor correlation = matches.correlation.index_select(0, fired);
      const torch::Tensor cosine =
          (child.directions.index_select(0, fired) * parent.directions.index_select(0, parent_of)).sum(1);
      const torch::Tensor by_cosine = closest_by_cosine(child.directions.index_select(0, fired), parent.directions);
      const torch::Tensor children_per_parent = torch::bincount(parent_of, {}, parent.d_sae);

      nlohmann::json list = nlohmann::json::array();
      for (std::int64_t k = 0; k < fired.size(0); ++k)
        list.push_back({{"child", fired[k].item<std::int64_t>()},
                        {"parent", parent_of[k].item<std::int64_t>()},
                        {"correlation", correlation[k].item<double>()},
                        {"cosine", cosine[k].item<double>()}});
      splitting["links"].push_back(
          {{"parent_dictionary", parent.stage}, {"child_dictionary", child.stage}, {"pairs", std::move(list)}});

      const dictlab::MetricLabels labels = {{"parent_dictionary", parent.stage}, {"child_dictionary", child.stage}};
      const double agreement =
          fired.size(0) ? by_cosine.eq(parent_of).sum().item<double>() / static_cast<double>(fired.size(0)) : 0.0;
      report.figures.push_back({"splitting_median_correlation", median_of(correlation), labels,
                                "Median activation correlation of a feature with its parent."});
      report.figures.push_back({"splitting_median_cosine", median_of(cosine), labels,
                                "Median decoder cosine similarity of a feature with its parent."});
      report.figures.push_back({"splitting_cosine_agreement", agreement, labels,
                                "Share of features whose closest parent by decoder cosine is the one their "
                                "activations correlate with most."});
      report.figures.push_back({"splitting_parents", children_per_parent.gt(0).sum().item<double>(), labels,
                                "Features of the smaller dictionary with at least one child."});
      report.figures.push_back({"splitting_split_parents", children_per_parent.gt(1).sum().item<double>(), labels,
                                "Features of the smaller dictionary with two or more children (that split)."});
      report.figures.push_back({"splitting_children", static_cast<double>(fired.size(0)), labels,
                                "Features of the larger dictionary that fired and were linked."});
    }
    dictlab::AtomicFile::write_all(context.stage_dir() / "splitting.json", splitting.dump() + "\n");
    return report;
  }
};

}  // namespace

DICTLAB_PLUGIN(FeatureSplitting, describe)

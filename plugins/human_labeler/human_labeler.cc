// Labeler: brings the labels people made on the labelling page of
// `dictlab serve` (RUN_DIR/labels.sqlite) into the experiment, so that
// evaluators score and compare them with the others. Features nobody has
// labelled yet are left out.
#include "dictlab/label_store.h"
#include "dictlab/sdk.h"

namespace {

std::vector<dictlab::OptionSpec> options() {
  std::vector<dictlab::OptionSpec> specs = {
      {"author", dictlab::OptionType::kString, "Only this person's labels (\"\": anyone's, the one saved last).",
       std::string("")},
  };
  for (auto& spec : dictlab::labeler_selection_options()) specs.push_back(std::move(spec));
  return specs;
}

dictlab::PluginDescriptor describe() {
  return {.name = "human",
          .version = "1.0.0",
          .summary = "Labels made by people on the labelling page of `dictlab serve` (RUN_DIR/labels.sqlite).",
          .options = options()};
}

class HumanLabeler : public dictlab::Labeler {
 public:
  void label(dictlab::RunContext& context, const std::vector<dictlab::FeatureEvidence>& features,
             const dictlab::LabelSink& emit) override {
    // The run directory holds stages/<name>/; the labels live beside stages/.
    const auto run_dir = context.stage_dir().parent_path().parent_path();
    const auto& analysis = context.input(dictlab::PluginKind::kEvaluator).stage;
    dictlab::LabelStore store(run_dir / dictlab::LabelStore::kFileName);
    const std::string author = context.options().get_string("author");
    std::size_t found = 0;
    for (const auto& feature : features) {
      // The label written last wins, not the one with the latest created_at:
      // an imported file could claim any date.
      const auto latest = store.latest(analysis, feature.feature, author);
      if (!latest) continue;
      emit({.feature = feature.feature, .text = latest->text, .rubric_score = latest->rubric, .author = latest->author});
      ++found;
    }
    context.log().info(std::to_string(found) + " of " + std::to_string(features.size()) +
                       " features have a human label; label more with: dictlab serve " + run_dir.string());
  }
};

}  // namespace

DICTLAB_PLUGIN(HumanLabeler, describe)

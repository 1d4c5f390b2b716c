#include "analysis_passes.h"

#include "dictlab/collectives.h"
#include "dictlab/token_windows.h"

namespace feature_analysis {
namespace {

// The end of a pass: rank 0 takes in every rank's statistics; after the
// first, the triggers are chosen and every rank gets rank 0's maxima and
// triggers, which the second pass reads.
void end_pass(dictlab::Collectives& ranks, FeatureStatistics& statistics, Pass pass) {
  if (ranks.world_size() > 1) {
    std::map<std::string, std::vector<torch::Tensor>> gathered;
    for (const auto& name : FeatureStatistics::gathered_by(pass))
      gathered[name] = ranks.gather(statistics.tensor(name.c_str()), 0);
    if (ranks.leader())
      for (int r = 1; r < ranks.world_size(); ++r) {
        torch_training::TensorMap theirs;
        for (const auto& [name, tensors] : gathered) theirs[name] = tensors[static_cast<std::size_t>(r)];
        statistics.merge(theirs, pass);
      }
  }
  if (pass == Pass::kSecond) return;
  if (ranks.leader()) statistics.choose_triggers();  // from the merged top examples; the others get them below
  if (ranks.world_size() > 1) {
    std::vector<torch::Tensor> chosen = {statistics.state().at("max"), statistics.state().at("trigger")};
    ranks.broadcast(chosen, 0);
    statistics.refresh();
  }
}

}  // namespace

bool run_passes(dictlab::RunContext& context, const PassPlan& plan, dictlab::Model& model,
                dictlab::DictionaryLearner& dictionary, const std::string& hook, const dictlab::TokenShard& heldout,
                FeatureStatistics& statistics) {
  dictlab::Collectives& ranks = dictlab::collectives_of(context);
  const bool sharded = ranks.world_size() > 1;
  const std::int64_t batches = plan.batches(), features = statistics.shape().features;
  torch_training::Checkpoints checkpoints(context.checkpoint_dir(), context.log());
  const std::int64_t resumed = checkpoints.restore_latest(statistics.state(), nullptr).value_or(0);
  // Rank 0 carries what the checkpoint gathered of the pass it stopped in.
  if (sharded && !ranks.leader()) statistics.clear(resumed < batches ? Pass::kFirst : Pass::kSecond);
  statistics.refresh();
  if (resumed > 0) context.log().info("resuming the analysis at batch " + std::to_string(resumed));
  context.progress().set_total(static_cast<double>(2 * batches));

  std::vector<float> codes;
  for (std::int64_t step = resumed; step < 2 * batches; ++step) {
    if (ranks.any_stop(context.stop_requested())) {
      if (!sharded) checkpoints.save(step, statistics.state(), nullptr);
      return false;
    }
    const std::int64_t batch = step % batches;
    const Pass pass = step < batches ? Pass::kFirst : Pass::kSecond;
    if (ranks.takes(batch)) {
      const std::int64_t first = batch * plan.per_batch, n = std::min(plan.per_batch, plan.contexts - first);
      // Spread over the whole split: held-out documents come grouped by source,
      // so its first tokens alone would show one kind of text.
      const auto ids = dictlab::evenly_spaced_windows(heldout, first, n, plan.contexts, plan.length);
      const auto activations = dictlab::activations_at(model, {ids.data(), n, plan.length}, hook);
      codes.resize(static_cast<std::size_t>(n * plan.length * features));
      dictionary.encode(activations.data(), n * plan.length, codes.data());
      const CodedBatch coded{ids.data(), codes.data(), n, plan.length, first * plan.length, context.seed()};
      pass == Pass::kFirst ? statistics.first_pass(coded) : statistics.second_pass(coded);
    }
    context.progress().set_done(static_cast<double>(step + 1));
    const bool pass_ends = batch + 1 == batches;
    if (pass_ends) end_pass(ranks, statistics, pass);
    if (sharded ? pass_ends && ranks.leader() : (step + 1) % plan.checkpoint_interval == 0 || pass_ends)
      checkpoints.save(step + 1, statistics.state(), nullptr);
  }
  return true;
}

}  // namespace feature_analysis

// Evaluator: how well a dictionary recovers the true features of a
// synthetic_activations stage, as SynthSAEBench measures it (definitions in
// recovery_metrics.h; docs/synthetic-features.md compares). Inputs: the
// synthetic_activations stage and a dictionary stage. The dictionary is used
// only through the SDK's DictionaryLearner (encode/decode); its decoder
// directions are decode(e_i) − decode(0). Held-out samples are fresh draws
// of the world (another random stream than the training shards), with their
// true codes. Writes recovery.json; the figures become dictlab_synthetic_*
// gauges.
#include "dictlab/atomic_file.h"
#include "dictlab/sdk.h"
#include "ground_truth.h"
#include "parallel_samples.h"
#include "recovery_metrics.h"

namespace {

using dictlab::OptionSpec;
using dictlab::OptionType;

dictlab::PluginDescriptor describe() {
  return {.name = "synthetic_features",
          .version = "1.0.0",
          .summary = "A dictionary's recovery of the true features of a synthetic world (SynthSAEBench's metrics).",
          .options = {
              OptionSpec{"samples", OptionType::kInt, "Held-out samples for the firing and reconstruction metrics.",
                         std::int64_t{100000}}
                  .at_least(1),
              OptionSpec{"batch_size", OptionType::kInt, "Samples encoded at once.", std::int64_t{4096}}.at_least(1),
          }};
}

const dictlab::StageInput& synthetic_input(const dictlab::RunContext& context) {
  for (const auto& input : context.inputs())
    if (synthetic::GroundTruth::exists_in(input.dir)) return input;
  throw dictlab::PluginError("stage '" + context.stage() +
                             "' needs a synthetic_activations stage among its inputs (none has synthetic.json)");
}

nlohmann::json to_json(const synthetic::RecoveryReport& r) {
  return {{"mcc", r.mcc},
          {"uniqueness", r.uniqueness},
          {"f1", r.f1},
          {"precision", r.precision},
          {"recall", r.recall},
          {"explained_variance", r.explained_variance},
          {"shrinkage", r.shrinkage},
          {"l0", r.l0},
          {"true_l0", r.true_l0},
          {"dead_latents", r.dead_latents},
          {"dead_fraction", r.dead_fraction},
          {"samples", r.samples}};
}

class SyntheticFeatures : public dictlab::Evaluator {
 public:
  dictlab::Report evaluate(dictlab::RunContext& context) override {
    const std::int64_t samples = context.options().get_int("samples");
    const std::int64_t batch = context.options().get_int("batch_size");
    const auto& world = synthetic_input(context);
    const synthetic::GroundTruth truth = synthetic::GroundTruth::load(world.dir);
    const auto dictionary = dictlab::open_input_dictionary(context);
    const auto shape = dictionary->shape();
    if (shape.d_in != truth.d())
      throw dictlab::PluginError("the dictionary reads " + std::to_string(shape.d_in) + " activations but stage '" +
                                 world.stage + "' makes " + std::to_string(truth.d()) + ": is it trained on another world?");

    const auto directions = synthetic::score_directions(dictlab::decoder_directions(*dictionary), shape.d_sae,
                                                        truth.directions, truth.n(), truth.d());
    synthetic::RecoveryAccumulator accumulator(directions, truth.n(), truth.d());
    const synthetic::SampleGenerator generator(truth);
    std::vector<float> x, latents, reconstruction;
    std::vector<synthetic::SparseCode> codes;
    context.progress().set_total(static_cast<double>(samples));
    for (std::int64_t first = 0; first < samples; first += batch) {
      if (context.stop_requested()) return {};
      const std::int64_t rows = std::min(batch, samples - first);
      x.resize(static_cast<std::size_t>(rows * truth.d()));
      latents.resize(static_cast<std::size_t>(rows * shape.d_sae));
      reconstruction.resize(x.size());
      synthetic::generate_samples(generator, synthetic::kHeldOutStream, static_cast<std::uint64_t>(first), rows, truth.d(),
                                  x.data(), &codes);
      dictionary->encode(x.data(), rows, latents.data());
      dictionary->decode(latents.data(), rows, reconstruction.data());
      for (std::int64_t r = 0; r < rows; ++r)
        accumulator.add(x.data() + r * truth.d(), codes[static_cast<std::size_t>(r)], latents.data() + r * shape.d_sae,
                        reconstruction.data() + r * truth.d());
      context.progress().set_done(static_cast<double>(first + rows));
    }
    const auto result = accumulator.report();
    nlohmann::json json = to_json(result);
    json["dictionary_stage"] = context.input(dictlab::PluginKind::kDictionary).stage;
    json["synthetic_stage"] = world.stage;
    json["d_sae"] = shape.d_sae;
    json["true_features"] = truth.n();
    dictlab::AtomicFile::write_all(context.stage_dir() / "recovery.json", json.dump(2) + "\n");
    context.log().info("MCC " + std::to_string(result.mcc) + ", F1 " + std::to_string(result.f1) + ", uniqueness " +
                       std::to_string(result.uniqueness) + ", explained variance " +
                       std::to_string(result.explained_variance) + ", L0 " + std::to_string(result.l0));
    return {{{"synthetic_mcc", result.mcc, {}, "Mean |cos| of the optimal one-to-one matching of learned to true directions."},
             {"synthetic_f1", result.f1, {}, "Mean F1 of each latent as a detector of its best-matching true feature."},
             {"synthetic_precision", result.precision, {}, "Mean precision of those detectors."},
             {"synthetic_recall", result.recall, {}, "Mean recall of those detectors."},
             {"synthetic_uniqueness", result.uniqueness, {}, "Distinct best-matching true features per latent."},
             {"synthetic_explained_variance", result.explained_variance, {}, "1 - MSE / variance on held-out samples."},
             {"synthetic_l0", result.l0, {}, "Latents active per held-out sample."},
             {"synthetic_true_l0", result.true_l0, {}, "True features active per held-out sample."},
             {"synthetic_dead_fraction", result.dead_fraction, {}, "Latents never active on the held-out samples."},
             {"synthetic_shrinkage", result.shrinkage, {}, "Mean |reconstruction| / |input|."}}};
  }
};

}  // namespace

DICTLAB_PLUGIN(SyntheticFeatures, describe)

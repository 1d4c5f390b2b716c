// Evaluator: a synthetic world with known features (after SAELens'
// SynthSAEBench; plugins/synthetic_features/synthetic_config.h has the
// knobs, defaults SynthSAEBench-16k) written as an activation cache
// (sdk/include/dictlab/activation_cache.h: F32 shards, hook "synthetic", no
// model) that dictionary stages train on, plus its ground truth
// (ground_truth.safetensors + synthetic.json) for the synthetic_features
// evaluator. The ground truth is saved first; shards are written one at a
// time, atomically, and sample i depends only on (seed, i), so a stopped
// run resumes with the shards it lacks and ends with the same bytes.
#include <chrono>

#include "dictlab/activation_cache.h"
#include "dictlab/safetensors.h"
#include "dictlab/sdk.h"
#include "ground_truth.h"
#include "parallel_samples.h"
#include "sample_generator.h"
#include "synthetic_options.h"

namespace {

using dictlab::OptionSpec;
using dictlab::OptionType;

dictlab::PluginDescriptor describe() {
  auto options = synthetic::config_options();
  options.push_back(
      OptionSpec{"samples", OptionType::kInt, "Activations (samples) to write.", std::int64_t{16777216}}.at_least(1));
  options.push_back(
      OptionSpec{"shard_samples", OptionType::kInt, "Samples per shard file.", std::int64_t{131072}}.at_least(1));
  return {.name = "synthetic_activations",
          .version = "1.0.0",
          .summary = "A synthetic world of known sparse features (SynthSAEBench-like) as an activation cache.",
          .options = std::move(options)};
}

class SyntheticActivations : public dictlab::Evaluator {
 public:
  dictlab::Report evaluate(dictlab::RunContext& context) override {
    const auto& options = context.options();
    const synthetic::SyntheticConfig config = synthetic::config_from_options(options);
    const std::int64_t wanted = options.get_int("samples"), shard_rows = options.get_int("shard_samples");
    const auto& dir = context.stage_dir();
    const synthetic::GroundTruth truth = ground_truth(context, config);
    const synthetic::SampleGenerator generator(truth);

    dictlab::ActivationCacheInfo info;
    info.d_in = config.hidden_dim;
    info.context_length = 1;  // samples are independent; there are no windows
    info.dtype = "F32";
    info.shard_rows = shard_rows;
    info.shards = (wanted + shard_rows - 1) / shard_rows;
    info.model_stage = "";
    info.hook = "synthetic";
    const auto shard_bytes = static_cast<std::uintmax_t>(shard_rows * config.hidden_dim) * sizeof(float);

    context.progress().set_total(static_cast<double>(info.shards));
    std::int64_t written = 0;
    double seconds = 0;
    std::vector<float> rows(static_cast<std::size_t>(shard_rows * config.hidden_dim));
    for (std::int64_t shard = 0; shard < info.shards; ++shard) {
      if (context.stop_requested()) return {};
      const auto file = dictlab::ActivationCacheInfo::shard_file(dir, shard);
      if (!std::filesystem::exists(file) || std::filesystem::file_size(file) < shard_bytes) {
        const auto start = std::chrono::steady_clock::now();
        synthetic::generate_samples(generator, synthetic::kTrainStream, static_cast<std::uint64_t>(shard * shard_rows),
                                    shard_rows, config.hidden_dim, rows.data());
        dictlab::SafetensorsWriter writer;
        writer.add_f32("activations", {shard_rows, config.hidden_dim}, rows.data());
        writer.set_metadata("model_stage", "");
        writer.set_metadata("hook", info.hook);
        writer.write(file);
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        ++written;
      }
      context.progress().set_done(static_cast<double>(shard + 1));
    }
    info.write(dir);
    context.log().info("wrote " + std::to_string(written) + " of " + std::to_string(info.shards) + " shards of " +
                       std::to_string(shard_rows) + " samples");
    dictlab::Report report{{{"synthetic_samples", static_cast<double>(info.rows()), {}, "Samples in the cache."}}};
    if (written > 0)
      report.figures.push_back({"synthetic_seconds_per_million_samples",
                                seconds * 1e6 / static_cast<double>(written * shard_rows), {},
                                "Time to generate and write a million samples in this run."});
    return report;
  }

 private:
  // The saved world when it is this config's and seed's (a resumed run),
  // else a new one, saved before any shard so that shards never outlive it.
  static synthetic::GroundTruth ground_truth(dictlab::RunContext& context, const synthetic::SyntheticConfig& config) {
    const auto& dir = context.stage_dir();
    if (synthetic::GroundTruth::exists_in(dir)) {
      auto saved = synthetic::GroundTruth::load(dir);
      if (saved.seed == context.seed() && synthetic::to_json(saved.config) == synthetic::to_json(config)) return saved;
      context.log().warn("the saved ground truth is another config's or seed's: building it again");
      for (const auto& entry : std::filesystem::directory_iterator(dir))
        if (entry.path().extension() == ".safetensors") std::filesystem::remove(entry.path());
    }
    context.log().info("building " + std::to_string(config.num_features) + " true features in " +
                       std::to_string(config.hidden_dim) + " dimensions");
    auto truth = synthetic::GroundTruth::build(config, context.seed(), [&](std::int64_t step, std::int64_t steps) {
      if (step % 10 == 0 || step == steps)
        context.log().info("orthogonalising: step " + std::to_string(step) + " of " + std::to_string(steps));
    });
    truth.save(dir);
    return truth;
  }
};

}  // namespace

DICTLAB_PLUGIN(SyntheticActivations, describe)

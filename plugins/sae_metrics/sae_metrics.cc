// Evaluator: how well a dictionary reconstructs the activations at its hook,
// and how much of the model's loss survives (and how far its predictions
// move, in KL) when the reconstruction replaces them.
// Works through the SDK's model and dictionary hooks only, so it measures any
// model and dictionary plugin.
#include <cmath>
#include <fstream>

#include "dictlab/sdk.h"
#include "dictlab/token_shards.h"
#include "dictlab/token_windows.h"
#include "next_token_fit.h"

namespace {

using dictlab::Figure;
using dictlab::OptionError;
using dictlab::OptionType;

dictlab::PluginDescriptor describe() {
  return {.name = "sae_metrics",
          .version = "1.0.0",
          .summary = "MSE, variance explained, L0, dead and rare features, density histogram, loss recovered, KL.",
          .options = {
              {"contexts", OptionType::kInt, "Held-out contexts measured.", std::int64_t{64}},
              {"ultra_low_density", OptionType::kFloat, "Features firing on fewer tokens than this share are "
                                                        "ultra-low density (the paper: 1e-6).", 1e-5},
              {"histogram_bins", OptionType::kInt, "Bins of the log10 feature density histogram.", std::int64_t{40}},
          }};
}

class SaeMetrics : public dictlab::Evaluator {
 public:
  dictlab::Report evaluate(dictlab::RunContext& context) override {
    const auto& options = context.options();
    const std::int64_t contexts = options.get_int("contexts");
    const std::int64_t bins = options.get_int("histogram_bins");
    if (contexts <= 0) throw OptionError("contexts", "must be positive");
    if (bins <= 0) throw OptionError("histogram_bins", "must be positive");

    const auto model = dictlab::open_input_model(context);
    const auto dictionary = dictlab::open_input_dictionary(context);
    const auto& tokens_stage = context.input(dictlab::PluginKind::kTokenizer);
    const auto shape = dictionary->shape();
    const std::int64_t length = model->shape().context_length;
    const std::string hook = dictlab::dictionary_hook(*model, *dictionary).name;
    // What the dictionary reconstructs: its input, or a transcoder's target
    // (the MLP's output) at another hook of the same pass.
    std::vector<std::string> hooks = {hook};
    if (shape.is_transcoder()) hooks.push_back(shape.output_hook);
    const std::int64_t d_target = shape.written_width();
    const dictlab::TokenShard heldout(tokens_stage.dir, "heldout", length);

    std::vector<double> fired(static_cast<std::size_t>(shape.d_sae), 0.0);
    std::vector<double> sum(static_cast<std::size_t>(d_target), 0.0);
    double squared_error = 0, squared_norm = 0, active = 0, rows_seen = 0;
    double loss_clean = 0, loss_spliced = 0, loss_zero = 0, kl_spliced = 0, kl_zero = 0;
    std::vector<float> features, reconstruction;
    // A transcoder replaces the whole MLP; zero ablation zeroes the MLP's output.
    const dictlab::HookEdits splice = dictlab::splice_dictionary(*dictionary);
    const dictlab::HookEdits zero = dictlab::zero_ablation(shape);

    constexpr std::int64_t kBatch = 8;
    context.progress().set_total(static_cast<double>(contexts));
    for (std::int64_t start = 0; start < contexts; start += kBatch) {
      if (context.stop_requested()) return {};
      const std::int64_t n = std::min(kBatch, contexts - start);
      const auto ids = dictlab::evenly_spaced_windows(heldout, start, n, contexts, length);
      const dictlab::TokenBatch batch{ids.data(), n, length};
      const auto read = model->activations(batch, hooks);
      const auto& x = read.front();
      const auto& target = read.back();
      const std::int64_t rows = n * length;
      features.resize(static_cast<std::size_t>(rows * shape.d_sae));
      reconstruction.resize(target.size());
      dictionary->encode(x.data(), rows, features.data());
      dictionary->reconstruct(x.data(), rows, reconstruction.data());
      for (std::int64_t r = 0; r < rows; ++r) {
        for (std::int64_t j = 0; j < d_target; ++j) {
          const double v = target[static_cast<std::size_t>(r * d_target + j)];
          const double e = v - reconstruction[static_cast<std::size_t>(r * d_target + j)];
          squared_error += e * e;
          squared_norm += v * v;
          sum[static_cast<std::size_t>(j)] += v;
        }
        for (std::int64_t f = 0; f < shape.d_sae; ++f) {
          if (features[static_cast<std::size_t>(r * shape.d_sae + f)] > 0) {
            fired[static_cast<std::size_t>(f)] += 1;
            active += 1;
          }
        }
      }
      rows_seen += static_cast<double>(rows);
      const std::int64_t vocab = model->shape().vocab_size;
      const auto clean = model->logits(batch);
      const auto spliced = sae_metrics::next_token_fit(model->logits(batch, splice), clean, batch, vocab);
      const auto zeroed = sae_metrics::next_token_fit(model->logits(batch, zero), clean, batch, vocab);
      loss_clean += sae_metrics::next_token_fit(clean, clean, batch, vocab).loss * static_cast<double>(n);
      loss_spliced += spliced.loss * static_cast<double>(n);
      loss_zero += zeroed.loss * static_cast<double>(n);
      kl_spliced += spliced.kl * static_cast<double>(n);
      kl_zero += zeroed.kl * static_cast<double>(n);
      context.progress().set_done(static_cast<double>(start + n));
    }
    loss_clean /= static_cast<double>(contexts);
    loss_spliced /= static_cast<double>(contexts);
    loss_zero /= static_cast<double>(contexts);
    kl_spliced /= static_cast<double>(contexts);
    kl_zero /= static_cast<double>(contexts);

    double mean_norm = 0;
    for (double s : sum) mean_norm += (s / rows_seen) * (s / rows_seen);
    const double total_variance = squared_norm - rows_seen * mean_norm;
    const double fvu = squared_error / total_variance;
    const double threshold = options.get_float("ultra_low_density");
    double dead = 0, ultra_low = 0;
    std::vector<double> histogram(static_cast<std::size_t>(bins), 0.0);
    const double lowest = std::log10(1.0 / rows_seen);  // one firing in all tokens seen
    nlohmann::json densities = nlohmann::json::array();
    for (double count : fired) {
      const double density = count / rows_seen;
      densities.push_back(density);
      if (count == 0) {
        ++dead;
        continue;
      }
      if (density < threshold) ++ultra_low;
      const double position = (std::log10(density) - lowest) / (0.0 - lowest);
      histogram[static_cast<std::size_t>(std::min<double>(static_cast<double>(bins) - 1, std::floor(position * static_cast<double>(bins))))] += 1;
    }
    // Per-feature figures belong in the run's artifacts, not in Prometheus.
    dictlab::AtomicFile::write_all(context.stage_dir() / "feature_density.json",
                                   nlohmann::json({{"tokens", rows_seen}, {"density", densities}}).dump() + "\n");

    const double d_sae = static_cast<double>(shape.d_sae);
    dictlab::Report report;
    auto add = [&](std::string name, double value, std::string help, dictlab::MetricLabels labels = {}) {
      report.figures.push_back({std::move(name), value, std::move(labels), std::move(help)});
    };
    add("sae_eval_mse", squared_error / (rows_seen * static_cast<double>(d_target)),
        "Reconstruction MSE per element of the activations.");
    add("sae_eval_variance_explained_ratio", 1.0 - fvu, "Fraction of the activations' variance explained.");
    add("sae_eval_l0", active / rows_seen, "Mean active features per token.");
    add("sae_eval_dead_ratio", dead / d_sae, "Share of features that never fired on the held-out tokens.");
    add("sae_eval_ultra_low_density_ratio", ultra_low / d_sae, "Share of live features firing below ultra_low_density.");
    add("sae_eval_model_loss", loss_clean, "Held-out loss (nats/token).", {{"mlp", "clean"}});
    add("sae_eval_model_loss", loss_spliced, "Held-out loss (nats/token).", {{"mlp", "spliced"}});
    add("sae_eval_model_loss", loss_zero, "Held-out loss (nats/token).", {{"mlp", "zero_ablated"}});
    add("sae_eval_loss_recovered_ratio", (loss_zero - loss_spliced) / (loss_zero - loss_clean),
        "(L_zero_ablation - L_spliced) / (L_zero_ablation - L_clean).");
    add("sae_eval_kl_divergence", kl_spliced, "Mean KL(clean || edited) of next-token predictions (nats).",
        {{"mlp", "spliced"}});
    add("sae_eval_kl_divergence", kl_zero, "Mean KL(clean || edited) of next-token predictions (nats).",
        {{"mlp", "zero_ablated"}});
    add("sae_eval_kl_recovered_ratio", 1.0 - kl_spliced / kl_zero, "1 - KL_spliced / KL_zero_ablation (SAEBench's KL score).");
    for (std::int64_t b = 0; b < bins; ++b) {
      char upper[16];
      std::snprintf(upper, sizeof upper, "%.2f", lowest + (0.0 - lowest) * static_cast<double>(b + 1) / static_cast<double>(bins));
      add("sae_eval_feature_density_features", histogram[static_cast<std::size_t>(b)],
          "Live features per log10-density bin (le: the bin's upper edge).", {{"log10_density_le", upper}});
    }
    return report;
  }
};

}  // namespace

DICTLAB_PLUGIN(SaeMetrics, describe)

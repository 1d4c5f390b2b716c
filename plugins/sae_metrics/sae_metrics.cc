// Evaluator: how well a dictionary reconstructs the activations at its hook
// (SAEBench's core figures), how far apart its decoder directions are, and how
// much of the model's loss survives (and how far its predictions move, in KL)
// when the reconstruction replaces them.
// Works through the SDK's model and dictionary hooks only, so it measures any
// model and dictionary plugin.
#include <cmath>
#include <cstdio>

#include "decoder_similarity.h"
#include "dictlab/collectives.h"
#include "dictlab/sdk.h"
#include "dictlab/token_shards.h"
#include "dictlab/token_windows.h"
#include "next_token_fit.h"
#include "reconstruction_fit.h"

namespace {

using dictlab::OptionError;
using dictlab::OptionSpec;
using dictlab::OptionSpec;
using dictlab::OptionType;

dictlab::PluginDescriptor describe() {
  return {.name = "sae_metrics",
          .version = "1.1.0",
          .summary = "MSE, variance explained, cosine, shrinkage, L0, L1, dead and rare features, density histogram, "
                     "most similar decoder directions, loss recovered, KL.",
          .options = {
              OptionSpec{"contexts", OptionType::kInt, "Held-out contexts measured.", std::int64_t{64}}.at_least(1),
              {"ultra_low_density", OptionType::kFloat, "Features firing on fewer tokens than this share are "
                                                        "ultra-low density (the paper: 1e-6).", 1e-5},
              OptionSpec{"histogram_bins", OptionType::kInt, "Bins of the log10 feature density histogram.",
                         std::int64_t{40}}
                  .at_least(1),
          },
          .data_parallel = true};
}

// Held-out losses and KLs, summed over contexts, then their means.
struct LossTotals {
  double clean = 0, spliced = 0, zero = 0, kl_spliced = 0, kl_zero = 0;
  std::vector<double*> all() { return {&clean, &spliced, &zero, &kl_spliced, &kl_zero}; }
};

class FigureList {
 public:
  void add(std::string name, double value, std::string help, dictlab::MetricLabels labels = {}) {
    report.figures.push_back({std::move(name), value, std::move(labels), std::move(help)});
  }
  dictlab::Report report;
};

void add_reconstruction_figures(FigureList& out, const sae_metrics::ReconstructionSummary& s) {
  out.add("sae_eval_mse", s.mse, "Reconstruction MSE per element of the activations.");
  out.add("sae_eval_variance_explained_ratio", s.variance_explained,
          "1 - sum |x - x_hat|^2 / sum |x - mean(x)|^2: share of the activations' variance explained.");
  out.add("sae_eval_cosine_similarity", s.cosine_similarity, "Mean over tokens of cos(x_hat, x).");
  out.add("sae_eval_l2_ratio", s.l2_ratio, "Mean over tokens of |x_hat| / |x| (below 1: shrinkage).");
  out.add("sae_eval_relative_reconstruction_bias", s.relative_reconstruction_bias,
          "sum |x_hat|^2 / sum x_hat.x, 1/gamma of the best rescaling gamma*x_hat of x (below 1: shrinkage).");
  out.add("sae_eval_l0", s.l0, "Mean active features per token.");
  out.add("sae_eval_l1", s.l1, "Mean L1 norm of the feature activations per token.");
}

void add_feature_use_figures(FigureList& out, const sae_metrics::ReconstructionSummary& s, double threshold) {
  const double d_sae = static_cast<double>(s.fired.size());
  double dead = 0, ultra_low = 0;
  for (double count : s.fired) {
    if (count == 0) ++dead;
    else if (count / s.tokens < threshold) ++ultra_low;
  }
  out.add("sae_eval_dead_ratio", dead / d_sae, "Share of features that never fired on the held-out tokens.");
  out.add("sae_eval_alive_ratio", s.alive_ratio, "Share of features that fired at least once on the held-out tokens.");
  out.add("sae_eval_ultra_low_density_ratio", ultra_low / d_sae, "Share of live features firing below ultra_low_density.");
}

// The histogram of live features' log10 densities, from one firing in all
// tokens seen up to firing on every token.
void add_density_histogram(FigureList& out, const sae_metrics::ReconstructionSummary& s, std::int64_t bins) {
  std::vector<double> histogram(static_cast<std::size_t>(bins), 0.0);
  const double lowest = std::log10(1.0 / s.tokens);
  for (double count : s.fired) {
    if (count == 0) continue;
    const double position = (std::log10(count / s.tokens) - lowest) / (0.0 - lowest);
    const double bin = std::min<double>(static_cast<double>(bins) - 1, std::floor(position * static_cast<double>(bins)));
    histogram[static_cast<std::size_t>(bin)] += 1;
  }
  for (std::int64_t b = 0; b < bins; ++b) {
    char upper[16];
    std::snprintf(upper, sizeof upper, "%.2f", lowest + (0.0 - lowest) * static_cast<double>(b + 1) / static_cast<double>(bins));
    out.add("sae_eval_feature_density_features", histogram[static_cast<std::size_t>(b)],
            "Live features per log10-density bin (le: the bin's upper edge).", {{"log10_density_le", upper}});
  }
}

void add_decoder_figures(FigureList& out, const sae_metrics::DecoderPair& pair) {
  if (pair.first < 0) return;  // one feature has no pair
  out.add("sae_eval_decoder_max_abs_cosine", pair.abs_cosine,
          "Largest |cos| between the decoder directions of two distinct features.");
  const char* help = "Index of each feature of the pair with the largest decoder |cos|.";
  out.add("sae_eval_decoder_most_similar_feature", static_cast<double>(pair.first), help, {{"pair_member", "first"}});
  out.add("sae_eval_decoder_most_similar_feature", static_cast<double>(pair.second), help, {{"pair_member", "second"}});
}

void add_loss_figures(FigureList& out, const LossTotals& l) {
  const char* loss_help = "Held-out loss (nats/token).";
  out.add("sae_eval_model_loss", l.clean, loss_help, {{"mlp", "clean"}});
  out.add("sae_eval_model_loss", l.spliced, loss_help, {{"mlp", "spliced"}});
  out.add("sae_eval_model_loss", l.zero, loss_help, {{"mlp", "zero_ablated"}});
  out.add("sae_eval_loss_recovered_ratio", (l.zero - l.spliced) / (l.zero - l.clean),
          "(L_zero_ablation - L_spliced) / (L_zero_ablation - L_clean).");
  const char* kl_help = "Mean KL(clean || edited) of next-token predictions (nats).";
  out.add("sae_eval_kl_divergence", l.kl_spliced, kl_help, {{"mlp", "spliced"}});
  out.add("sae_eval_kl_divergence", l.kl_zero, kl_help, {{"mlp", "zero_ablated"}});
  out.add("sae_eval_kl_recovered_ratio", 1.0 - l.kl_spliced / l.kl_zero,
          "1 - KL_spliced / KL_zero_ablation (SAEBench's KL score).");
}

// Measures batches of held-out contexts with one model and dictionary.
class BatchMeasurement {
 public:
  BatchMeasurement(dictlab::Model& model, dictlab::DictionaryLearner& dictionary, std::string hook)
      : model_(model), dictionary_(dictionary), hook_(std::move(hook)) {}

  // The reconstruction of the batch's activations, and the model's
  // predictions clean, spliced and zero-ablated.
  void measure(const dictlab::TokenBatch& batch, sae_metrics::ReconstructionFit& fit, LossTotals& losses) {
    const auto shape = dictionary_.shape();
    // What the dictionary reconstructs: its input, or a transcoder's target
    // (the MLP's output) at another hook of the same pass.
    std::vector<std::string> hooks = {hook_};
    if (shape.is_transcoder()) hooks.push_back(shape.output_hook);
    const auto read = model_.activations(batch, hooks);
    const auto& x = read.front();
    const auto& target = read.back();
    const std::int64_t rows = batch.batch * batch.length;
    features_.resize(static_cast<std::size_t>(rows * shape.d_sae));
    reconstruction_.resize(target.size());
    dictionary_.encode(x.data(), rows, features_.data());
    dictionary_.reconstruct(x.data(), rows, reconstruction_.data());
    fit.add(target.data(), reconstruction_.data(), features_.data(), rows);

    // A transcoder replaces the whole MLP; zero ablation zeroes what the
    // dictionary writes.
    const std::vector<std::vector<float>> edited{model_.logits(batch, dictlab::splice_dictionary(dictionary_)),
                                                 model_.logits(batch, dictlab::zero_ablation(shape))};
    const auto fits = sae_metrics::next_token_fits(model_.logits(batch), edited, batch, model_.shape().vocab_size);
    const auto weight = static_cast<double>(batch.batch);
    losses.clean += fits.clean_loss * weight;
    losses.spliced += fits.edited[0].loss * weight;
    losses.zero += fits.edited[1].loss * weight;
    losses.kl_spliced += fits.edited[0].kl * weight;
    losses.kl_zero += fits.edited[1].kl * weight;
  }

 private:
  dictlab::Model& model_;
  dictlab::DictionaryLearner& dictionary_;
  std::string hook_;
  std::vector<float> features_, reconstruction_;
};

// Every rank's sums added into each rank's fit and losses, taken about rank
// 0's shift (rank 0 measures the first batch).
void add_other_ranks(dictlab::Collectives& ranks, sae_metrics::ReconstructionFit& fit, LossTotals& losses,
                     std::int64_t d_in) {
  torch::Tensor shift = torch::zeros({d_in}, torch::kDouble);
  if (ranks.leader()) std::copy(fit.shift().begin(), fit.shift().end(), shift.data_ptr<double>());
  std::vector<torch::Tensor> shared = {shift};
  ranks.broadcast(shared, 0);
  const std::vector<double> common(shift.data_ptr<double>(), shift.data_ptr<double>() + d_in);
  std::vector<double> sums = fit.sums(common);
  const std::size_t fit_sums = sums.size();
  const std::vector<double*> loss_sums = losses.all();
  for (double* total : loss_sums) sums.push_back(*total);
  std::vector<torch::Tensor> total = {torch::from_blob(sums.data(), {static_cast<std::int64_t>(sums.size())},
                                                       torch::kDouble)};
  ranks.sum(total);
  for (std::size_t k = 0; k < loss_sums.size(); ++k) *loss_sums[k] = sums[fit_sums + k];
  sums.resize(fit_sums);
  fit.set_sums(sums, common);
}

class SaeMetrics : public dictlab::Evaluator {
 public:
  dictlab::Report evaluate(dictlab::RunContext& context) override {
    const auto& options = context.options();
    const std::int64_t contexts = options.get_int("contexts");
    const std::int64_t bins = options.get_int("histogram_bins");

    const auto model = dictlab::open_input_model(context);
    const auto dictionary = dictlab::open_input_dictionary(context);
    const auto shape = dictionary->shape();
    const std::int64_t length = model->shape().context_length;
    BatchMeasurement measurement(*model, *dictionary, dictlab::dictionary_hook(*model, *dictionary).name);
    const dictlab::TokenShard heldout(context.input(dictlab::PluginKind::kTokenizer).dir, "heldout", length);

    sae_metrics::ReconstructionFit fit(shape.written_width(), shape.d_sae);
    LossTotals losses;
    // In a data-parallel run each rank measures every N-th batch.
    dictlab::Collectives& ranks = dictlab::collectives_of(context);
    constexpr std::int64_t kBatch = 8;
    context.progress().set_total(static_cast<double>(contexts));
    for (std::int64_t start = 0; start < contexts; start += kBatch) {
      if (ranks.any_stop(context.stop_requested())) return {};
      const std::int64_t n = std::min(kBatch, contexts - start);
      if (ranks.takes(start / kBatch)) {
        const auto ids = dictlab::evenly_spaced_windows(heldout, start, n, contexts, length);
        measurement.measure({ids.data(), n, length}, fit, losses);
      }
      context.progress().set_done(static_cast<double>(start + n));
    }
    if (ranks.world_size() > 1) add_other_ranks(ranks, fit, losses, shape.written_width());
    if (!ranks.leader()) return {};  // rank 0 writes
    for (double* total : losses.all()) *total /= static_cast<double>(contexts);

    const auto summary = fit.summary();
    // Per-feature figures belong in the run's artifacts, not in Prometheus.
    nlohmann::json densities = nlohmann::json::array();
    for (double count : summary.fired) densities.push_back(count / summary.tokens);
    dictlab::AtomicFile::write_all(context.stage_dir() / "feature_density.json",
                                   nlohmann::json({{"tokens", summary.tokens}, {"density", densities}}).dump() + "\n");

    FigureList figures;
    add_reconstruction_figures(figures, summary);
    add_feature_use_figures(figures, summary, options.get_float("ultra_low_density"));
    add_decoder_figures(figures, sae_metrics::most_similar_decoder_pair(*dictionary, context.device()));
    add_loss_figures(figures, losses);
    add_density_histogram(figures, summary, bins);
    return std::move(figures.report);
  }
};

}  // namespace

DICTLAB_PLUGIN(SaeMetrics, describe)

// Evaluator: one bounded-memory, resumable pass (two, in fact) over held-out
// tokens that gathers each feature's evidence (density, histogram, top and
// interval examples, logit effects), lays the features out in 2-D, and writes
// the feature store that labelers and the feature browser read. Works through
// the SDK's model and dictionary hooks only.
#include <algorithm>

#include "analysis_passes.h"
#include "browser_check.h"
#include "dictlab/collectives.h"
#include "dictlab/feature_store.h"
#include "dictlab/sdk.h"
#include "dictlab/token_shards.h"
#include "feature_statistics.h"
#include "layout.h"
#include "logit_effects.h"
#include "dictlab/token_display.h"

namespace {

namespace fs = std::filesystem;
using dictlab::OptionSpec;
using dictlab::OptionType;
using feature_analysis::FeatureStatistics;

dictlab::PluginDescriptor describe() {
  return {.name = "feature_analysis",
          .version = "1.3.0",
          .summary = "Per-feature evidence, 2-D layout and the feature store (features.sqlite) for labelers and the site.",
          .options = {
              OptionSpec{"tokens", OptionType::kInt, "Held-out tokens analysed (whole contexts).",
                         std::int64_t{262144}}
                  .at_least(1),
              OptionSpec{"top_examples", OptionType::kInt, "Top activating examples kept per feature.",
                         std::int64_t{20}}
                  .at_least(1),
              OptionSpec{"intervals", OptionType::kInt, "Intervals, evenly spaced in activation, sampled per feature.",
                         std::int64_t{10}}
                  .at_least(1),
              OptionSpec{"interval_examples", OptionType::kInt, "Examples sampled per interval.", std::int64_t{5}}
                  .at_least(1),
              OptionSpec{"near_misses", OptionType::kInt,
                         "Silent occurrences of each feature's top token kept (near misses).", std::int64_t{5}}
                  .at_least(0),
              OptionSpec{"window_before", OptionType::kInt, "Tokens of an example before its chosen token.",
                         std::int64_t{12}}
                  .at_least(0),
              OptionSpec{"window_after", OptionType::kInt, "Tokens of an example after its chosen token.",
                         std::int64_t{3}}
                  .at_least(0),
              OptionSpec{"histogram_bins", OptionType::kInt, "Bins of each feature's activation histogram.",
                         std::int64_t{40}}
                  .at_least(1),
              {"logit_tokens", OptionType::kInt, "Strongest logit effects kept each way.", std::int64_t{10}},
              OptionSpec{"layout_neighbors", OptionType::kInt, "Neighbours per feature in the 2-D layout's graph.",
                         std::int64_t{15}}
                  .at_least(1),
              OptionSpec{"layout_epochs", OptionType::kInt, "Optimisation epochs of the 2-D layout.",
                         std::int64_t{200}}
                  .at_least(1),
              OptionSpec{"checkpoint_interval", OptionType::kInt, "Batches between checkpoints.", std::int64_t{32}}
                  .at_least(1),
              {"browser_bundle", OptionType::kBool,
               "Also write the model and dictionary for the browser, with golden values (browser/).", true},
          },
          .data_parallel = true};
}

class FeatureAnalysis : public dictlab::Evaluator {
 public:
  dictlab::Report evaluate(dictlab::RunContext& context) override {
    const auto& options = context.options();
    feature_analysis::StatisticsShape shape;
    const std::int64_t tokens = options.get_int("tokens");
    shape.top_examples = options.get_int("top_examples");
    shape.intervals = options.get_int("intervals");
    shape.interval_examples = options.get_int("interval_examples");
    shape.near_misses = options.get_int("near_misses");
    shape.histogram_bins = options.get_int("histogram_bins");
    shape.window_before = options.get_int("window_before");
    shape.window_after = options.get_int("window_after");

    const auto model = dictlab::open_input_model(context);
    const auto dictionary = dictlab::open_input_dictionary(context);
    const auto& tokens_stage = context.input(dictlab::PluginKind::kTokenizer);
    const auto info = dictlab::TokenSetInfo::read(tokens_stage.dir);
    const dictlab::TokenShard heldout(tokens_stage.dir / "tokens.heldout.bin", info.dtype);
    const std::int64_t length = model->shape().context_length;
    shape.features = dictionary->shape().d_sae;
    const dictlab::HookPoint hook = dictlab::dictionary_hook(*model, *dictionary);
    const std::int64_t contexts = std::min(tokens, heldout.size()) / length;
    if (contexts == 0) throw dictlab::PluginError("the held-out split is shorter than one context");
    if (contexts * length < tokens)
      context.log().warn("the held-out split has " + std::to_string(heldout.size()) + " tokens; analysing " +
                         std::to_string(contexts * length));
    // Feature activations of a batch are dense [rows, d_sae]: keep them near 64 MiB.
    const feature_analysis::PassPlan plan{contexts, length,
                                          std::clamp<std::int64_t>((std::int64_t{1} << 24) / (length * shape.features), 1, 32),
                                          options.get_int("checkpoint_interval")};
    FeatureStatistics statistics(shape);
    if (!feature_analysis::run_passes(context, plan, *model, *dictionary, hook.name, heldout, statistics)) return {};
    if (!dictlab::collectives_of(context).leader()) return {};  // rank 0 has the merged statistics and writes

    context.log().info("logit effects and 2-D layout of " + std::to_string(shape.features) + " features");
    const dictlab::TokenDisplay display(*model);
    // A feature acts where its dictionary writes: an SAE's at the hook it
    // reads, a transcoder's at the MLP's output.
    const std::int64_t written_width = dictionary->shape().written_width();
    auto direction_rows = dictlab::decoder_directions(*dictionary);
    const torch::Tensor directions =
        torch::from_blob(direction_rows.data(), {dictionary->shape().d_sae, written_width});
    const std::vector<float> path = model->logit_weights(dictionary->shape().written_hook());
    const torch::Tensor logit_weights =
        torch::from_blob(const_cast<float*>(path.data()), {written_width, model->shape().vocab_size});
    const auto effects =
        feature_analysis::logit_effects(directions, logit_weights, options.get_int("logit_tokens"), display);
    const torch::Tensor layout = feature_analysis::layout_2d(
        directions, {options.get_int("layout_neighbors"), options.get_int("layout_epochs"), context.seed()});

    const double analysed = static_cast<double>(contexts * length);
    write_store(context, statistics, effects, layout, display, analysed);

    const torch::Tensor count = statistics.tensor("count");
    const std::int64_t busiest = count.argmax().item<std::int64_t>();
    if (options.get_bool("browser_bundle")) {
      const fs::path dir = context.stage_dir() / "browser";
      fs::create_directories(dir);
      if (feature_analysis::page_runs(dictionary->shape()) && model->export_bundle(dir / "model.safetensors")) {
        dictionary->export_bundle(dir / "sae.safetensors");
        const float pin = statistics.tensor("max")[busiest].item<float>();
        const auto check = feature_analysis::browser_check(*model, *dictionary, directions, busiest, pin);
        dictlab::AtomicFile::write_all(dir / "check.json", check.dump() + "\n");
      } else {
        context.log().info("no in-page model for this model and dictionary (" + hook.name +
                           "): the browser generates through `dictlab serve`");
      }
    }

    const double dead = (count == 0).sum().item<double>() / static_cast<double>(shape.features);
    return {{{"analysis_tokens", analysed, {}, "Held-out tokens the feature analysis read."},
             {"analysis_dead_ratio", dead, {}, "Share of features never active on the analysed tokens."},
             {"analysis_median_density", (count.to(torch::kDouble) / analysed).median().item<double>(), {},
              "Median share of analysed tokens on which a feature is active."}}};
  }

 private:
  // The examples in `count` slots from `slot`, strongest first (ties: the
  // earlier token, or the smaller sample key), so that the order does not
  // depend on how the passes were split.
  static std::vector<dictlab::ActivationExample> examples(const FeatureStatistics& s, const std::string& prefix,
                                                          const std::string& order_name, std::int64_t slot,
                                                          std::int64_t count, const dictlab::TokenDisplay& display) {
    const std::int64_t W = s.shape().window();
    const float* chosen = s.tensor((prefix + "_activation").c_str()).data_ptr<float>() + slot;
    const std::int64_t* order = s.tensor((prefix + "_" + order_name).c_str()).data_ptr<std::int64_t>() + slot;
    const std::int32_t* focus = s.tensor((prefix + "_focus").c_str()).data_ptr<std::int32_t>() + slot;
    const std::int32_t* ids = s.tensor((prefix + "_ids").c_str()).data_ptr<std::int32_t>() + slot * W;
    const float* acts = s.tensor((prefix + "_activations").c_str()).data_ptr<float>() + slot * W;
    std::vector<std::int64_t> kept;
    for (std::int64_t i = 0; i < count; ++i)
      if (chosen[i] >= 0) kept.push_back(i);
    std::sort(kept.begin(), kept.end(), [&](std::int64_t a, std::int64_t b) {
      return chosen[a] != chosen[b] ? chosen[a] > chosen[b] : order[a] < order[b];
    });
    std::vector<dictlab::ActivationExample> out;
    for (std::int64_t i : kept) {
      dictlab::ActivationExample example{chosen[i], focus[i], display.window(ids + i * W, W), {}};
      example.activations.assign(acts + i * W, acts + i * W + static_cast<std::int64_t>(example.tokens.size()));
      out.push_back(std::move(example));
    }
    return out;
  }

  static void write_store(dictlab::RunContext& context, const FeatureStatistics& s,
                          const std::vector<feature_analysis::LogitEffects>& effects, const torch::Tensor& layout,
                          const dictlab::TokenDisplay& display, double analysed) {
    const auto& shape = s.shape();
    const fs::path final_path = context.stage_dir() / dictlab::FeatureStore::kFileName;
    const fs::path temp = final_path.string() + ".tmp-" + std::to_string(::getpid());
    {
      auto store = dictlab::FeatureStore::create(temp);
      store.set_meta("n_features", shape.features);
      store.set_meta("tokens_analysed", analysed);
      store.set_meta("histogram_bins", shape.histogram_bins);
      store.set_meta("window", {{"before", shape.window_before}, {"after", shape.window_after}});
      store.set_meta("model_stage", context.input(dictlab::PluginKind::kModel).stage);
      store.set_meta("dictionary_stage", context.input(dictlab::PluginKind::kDictionary).stage);
      store.set_meta("dictionary_plugin", context.input(dictlab::PluginKind::kDictionary).plugin);
      const auto* count = s.tensor("count").data_ptr<std::int64_t>();
      const auto* sum = s.tensor("sum").data_ptr<double>();
      const auto* max = s.tensor("max").data_ptr<float>();
      const auto* histogram = s.tensor("histogram").data_ptr<std::int64_t>();
      const auto xy = layout.accessor<float, 2>();
      const std::int64_t K = shape.top_examples, I = shape.intervals, E = shape.interval_examples;
      store.begin();
      for (std::int64_t f = 0; f < shape.features; ++f) {
        dictlab::FeatureEvidence evidence;
        evidence.feature = f;
        evidence.density = static_cast<double>(count[f]) / analysed;
        evidence.max_activation = max[f];
        evidence.mean_activation = count[f] ? sum[f] / static_cast<double>(count[f]) : 0.0;
        evidence.histogram.assign(histogram + f * shape.histogram_bins, histogram + (f + 1) * shape.histogram_bins);
        evidence.top_examples = examples(s, "top", "position", f * K, K, display);
        for (std::int64_t i = 0; i < I; ++i) {
          dictlab::ActivationInterval interval{max[f] * static_cast<double>(i) / static_cast<double>(I),
                                               max[f] * static_cast<double>(i + 1) / static_cast<double>(I),
                                               examples(s, "interval", "key", (f * I + i) * E, E, display)};
          if (!interval.examples.empty()) evidence.intervals.push_back(std::move(interval));
        }
        evidence.near_misses = examples(s, "near", "key", f * shape.near_misses, shape.near_misses, display);
        evidence.positive_logits = effects[static_cast<std::size_t>(f)].positive;
        evidence.negative_logits = effects[static_cast<std::size_t>(f)].negative;
        store.put(evidence, xy[f][0], xy[f][1], top_tokens(evidence));
      }
      store.commit();
    }
    fs::rename(temp, final_path);
  }

  // The distinct tokens its top examples were chosen for, for search.
  static std::string top_tokens(const dictlab::FeatureEvidence& evidence) {
    std::vector<std::string> seen;
    for (const auto& example : evidence.top_examples) {
      std::string token = example.tokens[static_cast<std::size_t>(example.focus)];
      token.erase(0, token.find_first_not_of(" \t\n"));
      token.erase(token.find_last_not_of(" \t\n") + 1);
      if (!token.empty() && std::find(seen.begin(), seen.end(), token) == seen.end()) seen.push_back(token);
    }
    std::string joined;
    for (const auto& token : seen) joined += (joined.empty() ? "" : " ") + token;
    return joined;
  }
};

}  // namespace

DICTLAB_PLUGIN(FeatureAnalysis, describe)

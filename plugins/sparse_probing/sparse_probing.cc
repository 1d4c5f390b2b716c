// Evaluator: SAEBench's k-sparse probing on the corpus' own token classes
// (writing systems, code against prose, DNA, base64, LaTeX, and the source
// family of a token's document). For each class, a balanced task of class
// against rest is made from held-out tokens, split by context into train and
// test; the k dictionary features whose class means differ most on train are
// kept, a logistic regression is fitted on them, and its test accuracy is
// reported, beside the same probe on the model's activations at the
// dictionary's hook (the MLP neurons for the toy model).
// inputs = [model, dictionary, tokens] and, for the family classes, the
// dataset stage the tokens were made from.
#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <set>

#include "balanced_tasks.h"
#include "dictlab/sdk.h"
#include "dictlab/token_display.h"
#include "dictlab/token_shards.h"
#include "dictlab/token_windows.h"
#include "document_families.h"
#include "k_sparse_probe.h"
#include "probe_classes.h"

namespace {

using dictlab::OptionError;
using dictlab::OptionSpec;
using dictlab::OptionType;
using dictlab::PluginKind;
using namespace sparse_probing;

dictlab::PluginDescriptor describe() {
  return {.name = "sparse_probing",
          .version = "1.0.0",
          .summary = "k-sparse probes (SAEBench) for token classes on dictionary features and on the model's units.",
          .options = {
              OptionSpec{"tokens", OptionType::kInt, "Tokens read (whole contexts, evenly spaced over the split).",
                         std::int64_t{65536}}
                  .at_least(1),
              OptionSpec{"split", OptionType::kString, "Token split read.", std::string("heldout")}
                  .one_of({"heldout", "train"}),
              OptionSpec{"k", OptionType::kIntList, "Sizes of the sparse probes.", std::vector<std::int64_t>{1, 2, 5}}
                  .at_least(1),
              OptionSpec{"classes", OptionType::kStringList,
                         "Token classes probed: arabic, hebrew, cyrillic, han, code_vs_prose, dna, base64, latex, and "
                         "family (one task per source family; needs the dataset stage among the inputs).",
                         known_class_names()}
                  .one_of(known_class_names()),
              // One token of each label on each side of the split.
              OptionSpec{"examples", OptionType::kInt,
                         "Most tokens per task, half of the class and half not, train and test.", std::int64_t{4000}}
                  .at_least(4),
              OptionSpec{"test_fraction", OptionType::kFloat,
                         "Share of contexts (drawn with the run's seed) kept for testing.", 0.2}
                  .above(0.0)
                  .below(1.0),
              OptionSpec{"min_examples", OptionType::kInt,
                         "Fewest tokens of the class in the test split for a task to be probed.", std::int64_t{20}}
                  .at_least(1),
          }};
}

struct Settings {
  std::int64_t tokens, examples, min_examples;
  std::vector<std::int64_t> k;
  std::vector<std::string> classes;
  std::string split;
  double test_fraction;
};

Settings read_settings(const dictlab::Options& options) {
  Settings s{options.get_int("tokens"), options.get_int("examples"), options.get_int("min_examples"),
             options.get_ints("k"), options.get_strings("classes"), options.get_string("split"),
             options.get_float("test_fraction")};
  // The host has checked each option against its declared range; an empty
  // list is the one thing a bound cannot refuse.
  if (s.k.empty()) throw OptionError("k", "must list at least one probe size");
  return s;
}

const dictlab::StageInput* dataset_input(const dictlab::RunContext& context) {
  for (const auto& input : context.inputs())
    if (input.kind == PluginKind::kDataset) return &input;
  return nullptr;
}

// The windows read: `contexts` of `length` tokens, placed as
// dictlab::evenly_spaced_windows places them.
struct Windows {
  std::int64_t contexts, length;
  std::vector<std::int32_t> ids;  // [contexts, length]
  std::int64_t start(const dictlab::TokenShard& shard, std::int64_t b) const {
    return b * (shard.size() - length) / contexts;
  }
};

std::vector<TokenFacts> gather_facts(const Windows& windows, const dictlab::TokenShard& shard,
                                     const dictlab::TokenDisplay& display, DocumentFamilies* families) {
  std::vector<TokenFacts> facts;
  facts.reserve(windows.ids.size());
  for (std::int64_t b = 0; b < windows.contexts; ++b) {
    const std::int32_t* ids = windows.ids.data() + b * windows.length;
    std::vector<std::string> raw;
    for (std::int64_t t = 0; t < windows.length; ++t) raw.push_back(display.raw(ids[t]));
    auto window = window_facts(display.window(ids, windows.length), raw);
    // A model puts a massive activation on the first token it sees (the
    // attention sink), whatever that token is; its size would swamp the class
    // means that choose the units.
    window.front().eligible = false;
    if (families != nullptr)
      for (std::int64_t t = 0; t < windows.length; ++t)
        window[static_cast<std::size_t>(t)].family = families->family_at(windows.start(shard, b) + t);
    facts.insert(facts.end(), window.begin(), window.end());
  }
  return facts;
}

// The features and the hook's activations of the rows asked for (sorted),
// from one forward pass over each window that holds any of them.
struct UnitRows {
  torch::Tensor features, neurons;  // [rows.size(), d_sae], [rows.size(), width]
};

UnitRows read_unit_rows(dictlab::RunContext& context, dictlab::Model& model, dictlab::DictionaryLearner& dictionary,
                        const dictlab::HookPoint& hook, const Windows& windows, const std::vector<std::int64_t>& rows) {
  const std::int64_t d_sae = dictionary.shape().d_sae, length = windows.length;
  UnitRows out{torch::zeros({static_cast<std::int64_t>(rows.size()), d_sae}),
               torch::zeros({static_cast<std::int64_t>(rows.size()), hook.width})};
  constexpr std::int64_t kBatch = 16;
  std::size_t next = 0;
  for (std::int64_t first = 0; first < windows.contexts && next < rows.size(); first += kBatch) {
    if (context.stop_requested()) break;  // evaluate() returns without a result
    const std::int64_t n = std::min(kBatch, windows.contexts - first), end_row = (first + n) * length;
    std::vector<std::int64_t> wanted;  // rows of this batch, relative to its first
    const std::size_t from = next;
    for (; next < rows.size() && rows[next] < end_row; ++next) wanted.push_back(rows[next] - first * length);
    if (wanted.empty()) continue;
    auto activations = dictlab::activations_at(model, {windows.ids.data() + first * length, n, length}, hook.name);
    const torch::Tensor picked =
        torch::from_blob(activations.data(), {n * length, hook.width}).index_select(0, torch::tensor(wanted)).contiguous();
    std::vector<float> codes(wanted.size() * static_cast<std::size_t>(d_sae));
    dictionary.encode(picked.data_ptr<float>(), static_cast<std::int64_t>(wanted.size()), codes.data());
    const auto count = static_cast<std::int64_t>(wanted.size()), at = static_cast<std::int64_t>(from);
    out.neurons.slice(0, at, at + count).copy_(picked);
    out.features.slice(0, at, at + count).copy_(torch::from_blob(codes.data(), {count, d_sae}));
    context.progress().set_done(static_cast<double>(windows.contexts + first + n));
  }
  return out;
}

LabelledRows labelled(const torch::Tensor& units, const std::vector<std::int64_t>& positive,
                      const std::vector<std::int64_t>& negative, const std::vector<std::int64_t>& rows) {
  std::vector<std::int64_t> index;
  for (const auto* side : {&positive, &negative})
    for (const std::int64_t row : *side)
      index.push_back(std::lower_bound(rows.begin(), rows.end(), row) - rows.begin());
  torch::Tensor y = torch::zeros({static_cast<std::int64_t>(index.size())});
  y.slice(0, 0, static_cast<std::int64_t>(positive.size())).fill_(1);
  return {units.index_select(0, torch::tensor(index)), y};
}

class SparseProbing : public dictlab::Evaluator {
 public:
  dictlab::Report evaluate(dictlab::RunContext& context) override;
};

struct Task {
  ProbeClass probe_class;
  TaskRows rows;
  std::string skipped;  // why it was not probed; empty when it was
};

nlohmann::json probe_entry(const ProbeResult& result) {
  return {{"accuracy", result.test_accuracy}, {"train_accuracy", result.train_accuracy}, {"units", result.units}};
}

// Probes every task not skipped for each k, on features and on neurons; adds
// each to its task's entry and to the report.
void probe_tasks(const std::vector<Task>& tasks, const UnitRows& units, const std::vector<std::int64_t>& rows,
                 const Settings& settings, nlohmann::json& classes, dictlab::Report& report) {
  const std::pair<const char*, const torch::Tensor*> sources[] = {{"features", &units.features},
                                                                  {"neurons", &units.neurons}};
  std::map<std::pair<std::int64_t, std::string>, std::vector<double>> by_k;
  for (const auto& task : tasks) {
    if (!task.skipped.empty()) continue;
    auto& entry = classes[task.probe_class.name];
    const auto& r = task.rows;
    for (const std::int64_t k : settings.k) {
      nlohmann::json probe = {{"k", k}};
      for (const auto& [source, x] : sources) {
        const auto result = k_sparse_probe(labelled(*x, r.train_positive, r.train_negative, rows),
                                           labelled(*x, r.test_positive, r.test_negative, rows), k);
        probe[source] = probe_entry(result);
        by_k[{k, source}].push_back(result.test_accuracy);
        report.figures.push_back({"sae_probe_accuracy", result.test_accuracy,
                                  {{"class", task.probe_class.name}, {"k", std::to_string(k)}, {"source", source}},
                                  "Held-out accuracy of the k-sparse probe for this token class."});
      }
      entry["probes"].push_back(probe);
    }
  }
  for (const auto& [key, accuracies] : by_k)
    report.figures.push_back({"sae_probe_mean_accuracy",
                              std::accumulate(accuracies.begin(), accuracies.end(), 0.0) /
                                  static_cast<double>(accuracies.size()),
                              {{"k", std::to_string(key.first)}, {"source", key.second}},
                              "Mean held-out accuracy of the k-sparse probes over the classes probed."});
}

std::vector<Task> make_tasks(const std::vector<ProbeClass>& classes, const std::vector<TokenFacts>& facts,
                             const std::vector<bool>& is_test, const std::vector<std::int64_t>& order,
                             const Settings& settings, dictlab::Logger& log) {
  std::vector<Task> tasks;
  for (const auto& probe_class : classes) {
    Task task{probe_class, balanced_rows(facts, is_test, probe_class, order, settings.examples,
                                         settings.test_fraction), {}};
    const auto test = static_cast<std::int64_t>(task.rows.test_positive.size());
    if (test < settings.min_examples || task.rows.train_positive.empty()) {
      task.skipped = std::to_string(task.rows.available_positive) + " tokens of the class, " +
                     std::to_string(test) + " of them in a balanced test split: fewer than min_examples (" +
                     std::to_string(settings.min_examples) + ")";
      log.info(probe_class.name + ": skipped, " + task.skipped);
    }
    tasks.push_back(std::move(task));
  }
  return tasks;
}

nlohmann::json task_entry(const Task& task) {
  const auto& r = task.rows;
  nlohmann::json entry = {{"positive", task.probe_class.positive_description},
                          {"negative", task.probe_class.negative_description},
                          {"available", {{"positive", r.available_positive}, {"negative", r.available_negative}}},
                          {"train_per_label", r.train_positive.size()},
                          {"test_per_label", r.test_positive.size()},
                          {"probes", nlohmann::json::array()}};
  if (!task.skipped.empty()) entry["skipped"] = task.skipped;
  return entry;
}

dictlab::Report SparseProbing::evaluate(dictlab::RunContext& context) {
  const Settings settings = read_settings(context.options());
  const auto model = dictlab::open_input_model(context);
  const auto dictionary = dictlab::open_input_dictionary(context);
  const dictlab::HookPoint hook = dictlab::dictionary_hook(*model, *dictionary);
  const auto& tokens_stage = context.input(PluginKind::kTokenizer);
  const std::int64_t length = model->shape().context_length;
  const dictlab::TokenShard shard(tokens_stage.dir, settings.split, length);
  // Windows never overlap: a token read twice could be in train and in test.
  const std::int64_t most = std::max<std::int64_t>(1, (shard.size() - length) / length);
  Windows windows{std::clamp<std::int64_t>(settings.tokens / length, 1, most), length, {}};
  if (windows.contexts * length < settings.tokens)
    context.log().warn("the " + settings.split + " split has " + std::to_string(shard.size()) + " tokens; reading " +
                       std::to_string(windows.contexts * length));
  windows.ids = dictlab::evenly_spaced_windows(shard, 0, windows.contexts, windows.contexts, length);

  std::optional<SourceFamilies> sources;
  std::optional<DocumentFamilies> documents;
  const bool wants_families = std::count(settings.classes.begin(), settings.classes.end(), kFamilyClasses) > 0;
  if (const auto* dataset = dataset_input(context); wants_families && dataset != nullptr) {
    sources.emplace(dataset->dir / "documents.jsonl");
    documents.emplace(shard, dictlab::TokenSetInfo::read(tokens_stage.dir).document_separator, *model, *sources);
  } else if (wants_families) {
    context.log().info("no dataset stage among the inputs: no source family classes");
  }
  const auto classes = select_classes(settings.classes, sources ? sources->families() : std::vector<std::string>{});

  context.progress().set_total(static_cast<double>(2 * windows.contexts));
  const dictlab::TokenDisplay display(*model);
  const auto facts = gather_facts(windows, shard, display, documents ? &*documents : nullptr);
  context.progress().set_done(static_cast<double>(windows.contexts));
  if (context.stop_requested()) return {};

  // Train and test are split by context, with the run's seed.
  std::mt19937_64 rng(context.seed() ^ 0x5a17e9b1c0ffee11ULL);
  std::bernoulli_distribution held_out(settings.test_fraction);
  std::vector<bool> is_test(facts.size());
  for (std::int64_t b = 0; b < windows.contexts; ++b)
    std::fill_n(is_test.begin() + b * length, length, held_out(rng));
  std::vector<std::int64_t> order(facts.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  const auto tasks = make_tasks(classes, facts, is_test, order, settings, context.log());

  std::set<std::int64_t> wanted;
  for (const auto& task : tasks)
    if (task.skipped.empty())
      for (const auto* side : {&task.rows.train_positive, &task.rows.train_negative, &task.rows.test_positive,
                               &task.rows.test_negative})
        wanted.insert(side->begin(), side->end());
  const std::vector<std::int64_t> rows(wanted.begin(), wanted.end());
  context.log().info("probing " + std::to_string(tasks.size()) + " classes on " + std::to_string(rows.size()) +
                     " tokens of " + std::to_string(facts.size()));
  const UnitRows units = read_unit_rows(context, *model, *dictionary, hook, windows, rows);
  if (context.stop_requested()) return {};

  nlohmann::json result = {{"dictionary", context.input(PluginKind::kDictionary).stage},
                           {"model", context.input(PluginKind::kModel).stage},
                           {"hook", hook.name},
                           {"split", settings.split},
                           {"tokens", static_cast<std::int64_t>(facts.size())},
                           {"test_fraction", settings.test_fraction},
                           {"k", settings.k},
                           {"classes", nlohmann::json::object()}};
  if (documents)
    result["documents"] = {{"seen", documents->documents_seen()}, {"matched", documents->documents_matched()}};
  for (const auto& task : tasks) result["classes"][task.probe_class.name] = task_entry(task);
  dictlab::Report report;
  probe_tasks(tasks, units, rows, settings, result["classes"], report);
  dictlab::AtomicFile::write_all(context.stage_dir() / "probing.json", result.dump(2) + "\n");
  return report;
}

}  // namespace

DICTLAB_PLUGIN(SparseProbing, describe)

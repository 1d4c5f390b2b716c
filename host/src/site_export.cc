#include "site_export.h"

#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "dictlab/atomic_file.h"
#include "dictlab/errors.h"
#include "dictlab/feature_store.h"
#include "dictlab/label_store.h"
#include "related_features.h"
#include "site_folder.h"

namespace dictlab::host {
namespace fs = std::filesystem;

namespace {

// The run's stage directories, by name (so that where several stages score
// one label, the same one wins on every export).
std::vector<fs::path> stage_dirs(const fs::path& run_dir) {
  std::vector<fs::path> dirs;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(run_dir / "stages", error)) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

// The analysis stages of a run: those whose directory has a finished feature store.
std::vector<std::string> analysis_stages(const fs::path& run_dir) {
  std::vector<std::string> stages;
  for (const auto& dir : stage_dirs(run_dir))
    if (fs::exists(dir / FeatureStore::kFileName) && fs::exists(dir / "manifest.json"))
      stages.push_back(dir.filename().string());
  return stages;
}

// Replacement characters for invalid UTF-8: one bad label must not make the site unwritable.
void write_json(const fs::path& file, const nlohmann::json& json) {
  AtomicFile::write_all(file, json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// Four significant digits are all a page shows; they halve the shards.
void round_floats(nlohmann::json& json) {
  if (json.is_number_float()) {
    char text[32];
    std::snprintf(text, sizeof text, "%.4g", json.get<double>());
    json = std::strtod(text, nullptr);
  } else if (json.is_structured()) {
    for (auto& item : json) round_floats(item);
  }
}

std::vector<nlohmann::json> read_jsonl(const fs::path& file) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    auto json = nlohmann::json::parse(line, nullptr, false);
    if (json.is_object()) lines.push_back(std::move(json));
  }
  return lines;
}

// The scores of a scores.jsonl line: every numeric field but the feature id
// (plugins/label_scores/README.md), so a new scorer needs no change here.
nlohmann::json scores_of(const nlohmann::json& line) {
  nlohmann::json scores = nlohmann::json::object();
  for (const auto& [key, value] : line.items())
    if (key != "feature" && key != "label_feature" && value.is_number()) scores[key] = value;
  return scores;
}

// Whether a scores.jsonl line scored this label: the same labeler, author
// and text, and the same labeler stage when the label came from one (people's
// labels come live from labels.sqlite, their stage only snapshots them).
bool scored(const nlohmann::json& label, const nlohmann::json& score) {
  const auto same = [&](const char* key) {
    return label.value(key, nlohmann::json()) == score.value(key, nlohmann::json());
  };
  return same("labeler") && same("author") && same("text") &&
         (label.value("labeler_stage", nlohmann::json()).is_null() || same("labeler_stage"));
}

// Every label of the analysis stage's features, by feature: labeler stages'
// labels.jsonl, people's labels live from labels.sqlite, each with the scores
// that label_scores stages gave it.
std::map<std::int64_t, nlohmann::json> collect_labels(const fs::path& run_dir, const std::string& analysis) {
  std::map<std::int64_t, nlohmann::json> by_feature;
  auto add = [&](nlohmann::json label) {
    if (!label.contains("feature") || !label["feature"].is_number_integer()) return;
    label.erase("error");
    label["scores"] = nlohmann::json::object();
    by_feature[label["feature"].get<std::int64_t>()].push_back(std::move(label));
  };
  const auto stages = stage_dirs(run_dir);
  for (const auto& stage : stages) {
    std::ifstream summary_file(stage / "labels_summary.json");
    const auto summary = nlohmann::json::parse(summary_file, nullptr, false);
    if (!summary.is_object() || summary.value("analysis_stage", "") != analysis) continue;
    for (auto& label : read_jsonl(stage / "labels.jsonl"))
      if (!label.contains("error") && label.value("labeler", nlohmann::json()) != "human") {
        label["labeler_stage"] = stage.filename().string();
        add(std::move(label));
      }
  }
  if (fs::exists(run_dir / LabelStore::kFileName)) {
    LabelStore people(run_dir / LabelStore::kFileName);
    for (const auto& l : people.labels(analysis))
      add({{"feature", l.feature}, {"labeler_stage", nullptr}, {"labeler", "human"}, {"author", l.author},
           {"text", l.text}, {"rubric", l.rubric ? nlohmann::json(*l.rubric) : nlohmann::json()}});
  }
  for (const auto& stage : stages)
    for (const auto& score : read_jsonl(stage / "scores.jsonl")) {
      const auto it = by_feature.find(score.value("feature", std::int64_t{-1}));
      // A shuffled-labels control scored another feature's label here: not this label's score.
      if (it == by_feature.end() || score.contains("control")) continue;
      for (auto& label : it->second)
        if (scored(label, score)) label["scores"].update(scores_of(score));
    }
  return by_feature;
}

// Each dictionary stage that an analysis stage shows, and the first such
// analysis stage (by name): where the links to its features go.
std::map<std::string, std::string> analysis_of_dictionary(const fs::path& run_dir) {
  std::map<std::string, std::string> sites;
  for (const auto& stage : analysis_stages(run_dir)) {
    auto store = FeatureStore::open(run_dir / "stages" / stage / FeatureStore::kFileName);
    const auto dictionary = store.meta("dictionary_stage");
    if (dictionary.is_string()) sites.emplace(dictionary.get<std::string>(), stage);
  }
  return sites;
}

// The relations of the analysis stage's dictionary to others (related_features.h).
absl::StatusOr<std::map<std::int64_t, nlohmann::json>> related_of(const SiteExportOptions& options,
                                                                  const std::string& stage,
                                                                  const std::map<std::string, std::string>& sites) {
  auto store = FeatureStore::open(options.run_dir / "stages" / stage / FeatureStore::kFileName);
  const auto dictionary = store.meta("dictionary_stage");
  if (!dictionary.is_string()) return std::map<std::int64_t, nlohmann::json>{};
  return collect_related_features(
      {options.run_dir, dictionary.get<std::string>(), store.meta("n_features").get<std::int64_t>(), sites});
}

std::string html_escaped(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// DIR/index.html of an --all export: a link to each analysis stage's site.
void write_site_list(const fs::path& out, const SiteExportOptions& options, const std::vector<std::string>& stages) {
  const std::string experiment = html_escaped(options.run_dir.filename().string());
  std::string html = "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><title>dictlab: " + experiment +
                     "</title></head>\n<body>\n<h1>dictlab: " + experiment + "</h1>\n<p>One feature browser per dictionary:</p>\n<ul>\n";
  for (const auto& stage : stages) {
    auto store = FeatureStore::open(options.run_dir / "stages" / stage / FeatureStore::kFileName);
    const auto dictionary = store.meta("dictionary_stage"), model = store.meta("model_stage");
    html += "<li><a href=\"" + html_escaped(stage) + "/\">" + html_escaped(stage) + "</a>: " +
            std::to_string(store.meta("n_features").get<std::int64_t>()) + " features of dictionary " +
            html_escaped(dictionary.is_string() ? dictionary.get<std::string>() : "?") + " (model " +
            html_escaped(model.is_string() ? model.get<std::string>() : "?") + ")</li>\n";
  }
  AtomicFile::write_all(out / "index.html", html + "</ul>\n</body>\n</html>\n");
}

// n_features from the store's meta, within what a site can hold.
std::int64_t feature_count(FeatureStore& store, const fs::path& file) {
  constexpr std::int64_t kMaxFeatures = std::int64_t{1} << 24;
  const auto n = store.meta("n_features");
  if (!n.is_number_integer() || n.get<std::int64_t>() < 1 || n.get<std::int64_t>() > kMaxFeatures)
    throw PluginError(file.string() + ": meta n_features is " + n.dump() + ", not a count from 1 to " +
                      std::to_string(kMaxFeatures));
  return n.get<std::int64_t>();
}

// data/labels.json: every labelled feature's labels with their scores, so the
// Labels page needs one file, not every shard (host/site/DATA.md).
void write_labels(const fs::path& data, const std::map<std::int64_t, nlohmann::json>& feature_labels,
                  std::int64_t n_features) {
  std::set<std::string> scorers;
  nlohmann::json features = nlohmann::json::array();
  for (const auto& [id, labels] : feature_labels) {
    if (id < 0 || id >= n_features) continue;  // as in the shards
    nlohmann::json compact = labels;
    for (auto& label : compact) {
      label.erase("feature");
      for (const auto& [scorer, value] : label["scores"].items()) scorers.insert(scorer);
    }
    features.push_back({{"feature", id}, {"labels", std::move(compact)}});
  }
  nlohmann::json out = {{"format", "dictlab.labels/1"}, {"scorers", scorers}, {"features", std::move(features)}};
  round_floats(out);
  write_json(data / "labels.json", out);
}

void write_data(FeatureStore& store, const fs::path& stage_dir, const fs::path& data, const SiteExportOptions& options,
                const std::string& stage, const std::map<std::int64_t, nlohmann::json>& related) {
  auto feature_labels = collect_labels(options.run_dir, stage);
  fs::create_directories(data / "features");
  const fs::path store_file = stage_dir / FeatureStore::kFileName;
  const std::int64_t n = feature_count(store, store_file);

  std::vector<float> columns(static_cast<std::size_t>(4 * n), 0.0f);
  nlohmann::json labels = nlohmann::json::array(), tokens = nlohmann::json::array();
  store.for_each_summary([&](const FeatureSummary& f) {
    auto bad_ids = [&](const std::string& what) {
      return PluginError(store_file.string() + ": " + what + " (feature ids must run from 0 to n_features - 1 = " +
                         std::to_string(n - 1) + ")");
    };
    if (f.id < 0 || f.id >= n) throw bad_ids("feature id " + std::to_string(f.id) + " is out of range");
    if (f.id != static_cast<std::int64_t>(tokens.size())) throw bad_ids("no feature " + std::to_string(tokens.size()));
    const auto i = static_cast<std::size_t>(f.id), un = static_cast<std::size_t>(n);
    columns[i] = static_cast<float>(f.density);
    columns[un + i] = static_cast<float>(f.max_activation);
    columns[2 * un + i] = static_cast<float>(f.x);
    columns[3 * un + i] = static_cast<float>(f.y);
    // The search index shows one label: a person's first, then an LLM's, then any.
    const auto it = feature_labels.find(f.id);
    nlohmann::json first;
    if (it != feature_labels.end())
      for (const char* labeler : {"human", "llm", ""})
        for (const auto& label : it->second)
          if (first.is_null() && (!*labeler || label["labeler"] == labeler)) first = label["text"];
    labels.push_back(first);
    tokens.push_back(f.top_tokens);
  });
  if (static_cast<std::int64_t>(tokens.size()) != n)
    throw PluginError(store_file.string() + ": has " + std::to_string(tokens.size()) +
                      " features, its meta says " + std::to_string(n));
  AtomicFile::write_all(data / "index.bin",
                        std::string(reinterpret_cast<const char*>(columns.data()), columns.size() * sizeof(float)));
  write_json(data / "search.json", {{"labels", labels}, {"tokens", tokens}});
  write_labels(data, feature_labels, n);

  const std::int64_t shards = (n + options.shard_size - 1) / options.shard_size;
  for (std::int64_t shard = 0; shard < shards; ++shard) {
    nlohmann::json features = nlohmann::json::array();
    store.for_each_evidence(shard * options.shard_size, options.shard_size, [&](std::int64_t id, nlohmann::json e) {
      if (!e.is_object())
        throw PluginError(store_file.string() + ": feature " + std::to_string(id) + "'s evidence is not a JSON object");
      e["id"] = id;
      const auto it = feature_labels.find(id);
      e["labels"] = it == feature_labels.end() ? nlohmann::json::array() : it->second;
      if (const auto r = related.find(id); r != related.end()) e["related"] = r->second;
      round_floats(e);
      features.push_back(std::move(e));
    });
    char name[32];
    std::snprintf(name, sizeof name, "%05lld.json", static_cast<long long>(shard));
    write_json(data / "features" / name, features);
  }

  nlohmann::json run = {{"format", "dictlab.site/1"},
                        {"experiment", options.run_dir.filename().string()},
                        {"model_stage", store.meta("model_stage")},
                        {"dictionary_stage", store.meta("dictionary_stage")},
                        {"analysis_stage", stage},
                        {"n_features", n},
                        {"shard_size", options.shard_size},
                        {"tokens_analysed", store.meta("tokens_analysed")},
                        {"histogram_bins", store.meta("histogram_bins")},
                        {"model", nullptr},
                        {"sae", nullptr},
                        {"check", nullptr}};
  const fs::path browser = stage_dir / "browser";
  if (fs::exists(browser / "model.safetensors") && fs::exists(browser / "sae.safetensors")) {
    fs::create_directories(data / "model");
    for (const char* file : {"model.safetensors", "sae.safetensors", "check.json"})
      fs::copy_file(browser / file, data / "model" / file, fs::copy_options::overwrite_existing);
    run["model"] = "model/model.safetensors";
    run["sae"] = "model/sae.safetensors";
    run["check"] = "model/check.json";
  }
  write_json(data / "run.json", run);
}

}  // namespace

fs::path default_site_assets() {
  std::error_code error;
  const fs::path exe = fs::read_symlink("/proc/self/exe", error);
  if (error) return {};
  for (const fs::path& candidate : {exe.parent_path() / "site", exe.parent_path().parent_path() / "share/dictlab/site"})
    if (fs::exists(candidate / "index.html")) return candidate;
  return {};
}

absl::StatusOr<std::vector<std::string>> find_analysis_stages(const fs::path& run_dir) {
  if (!fs::is_directory(run_dir / "stages"))
    return absl::InvalidArgumentError(run_dir.string() + " is not a run directory (no stages/ in it)");
  auto stages = analysis_stages(run_dir);
  if (stages.empty())
    return absl::FailedPreconditionError(run_dir.string() +
                                         " has no finished feature_analysis stage: add one to the experiment "
                                         "(see experiments/quickstart.toml) and run it");
  return stages;
}

absl::StatusOr<std::string> find_analysis_stage(const fs::path& run_dir, const std::string& requested) {
  const auto stages = find_analysis_stages(run_dir);
  if (!stages.ok()) {
    if (!requested.empty() && stages.status().code() == absl::StatusCode::kFailedPrecondition)
      return absl::InvalidArgumentError("no finished analysis stage '" + requested + "' in " + run_dir.string());
    return stages.status();
  }
  if (!requested.empty()) {
    if (std::find(stages->begin(), stages->end(), requested) == stages->end())
      return absl::InvalidArgumentError("no finished analysis stage '" + requested + "' in " + run_dir.string());
    return requested;
  }
  if (stages->size() > 1) {
    std::string names;
    for (const auto& s : *stages) names += " " + s;
    return absl::InvalidArgumentError("several analysis stages in " + run_dir.string() +
                                      "; pick one with --stage, or export them all with --all:" + names);
  }
  return stages->front();
}

absl::Status export_site(const SiteExportOptions& options) {
  if (options.shard_size <= 0) return absl::InvalidArgumentError("--shard-size must be positive");
  std::vector<std::string> stages;
  if (options.all) {
    if (!options.stage.empty()) return absl::InvalidArgumentError("--all exports every analysis stage: drop --stage");
    auto found = find_analysis_stages(options.run_dir);
    if (!found.ok()) return found.status();
    stages = *found;
  } else {
    const auto found = find_analysis_stage(options.run_dir, options.stage);
    if (!found.ok()) return found.status();
    stages = {*found};
  }

  // Relations first: a malformed relation file stops the export before anything is written.
  std::map<std::string, std::map<std::int64_t, nlohmann::json>> related;
  try {
    const auto sites = analysis_of_dictionary(options.run_dir);
    for (const auto& stage : stages) {
      auto of_stage = related_of(options, stage, sites);
      if (!of_stage.ok()) return of_stage.status();
      related[stage] = std::move(*of_stage);
    }
  } catch (const std::exception& error) {
    return absl::InternalError(std::string("export failed: ") + error.what());
  }

  const fs::path out = fs::absolute(options.out).lexically_normal();
  if (const auto replaceable = check_site_folder_replaceable(out, options.force); !replaceable.ok()) return replaceable;
  const fs::path temp = out.string() + ".tmp-" + std::to_string(::getpid());
  try {
    fs::remove_all(temp);
    fs::create_directories(temp);
    AtomicFile::write_all(temp / kSiteMarkerFile, "A site written by `dictlab export`; the next export may replace this folder.\n");
    for (const auto& stage : stages) {
      const fs::path site = options.all ? temp / stage : temp;
      fs::create_directories(site);
      if (!options.site_assets.empty()) fs::copy(options.site_assets, site, fs::copy_options::recursive);
      const fs::path stage_dir = options.run_dir / "stages" / stage;
      auto store = FeatureStore::open(stage_dir / FeatureStore::kFileName);
      write_data(store, stage_dir, site / "data", options, stage, related[stage]);
    }
    if (options.all) write_site_list(temp, options, stages);
    replace_site_folder(temp, out);
  } catch (const std::exception& error) {
    std::error_code ignored;
    fs::remove_all(temp, ignored);
    return absl::InternalError(std::string("export failed: ") + error.what());
  }
  return absl::OkStatus();
}

}  // namespace dictlab::host

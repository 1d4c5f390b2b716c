#include "related_features.h"

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <vector>

#include "manifest.h"

namespace dictlab::host {
namespace fs = std::filesystem;

namespace {

// What is wrong in a relation file, at a JSON path such as features[3].twin.
class Malformed : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string at(const std::string& where, const std::string& key) { return where.empty() ? key : where + "." + key; }
std::string at(const std::string& where, std::size_t index) { return where + "[" + std::to_string(index) + "]"; }

const nlohmann::json& field(const nlohmann::json& object, const std::string& where, const char* key) {
  if (!object.is_object()) throw Malformed((where.empty() ? "the file" : where) + " is not a JSON object");
  const auto it = object.find(key);
  if (it == object.end()) throw Malformed((where.empty() ? "the top level" : where) + " has no \"" + key + "\"");
  return *it;
}

std::string text(const nlohmann::json& object, const std::string& where, const char* key) {
  const auto& value = field(object, where, key);
  if (!value.is_string() || value.get<std::string>().empty())
    throw Malformed(at(where, key) + " is not a stage name (a non-empty string)");
  return value.get<std::string>();
}

std::int64_t feature_id(const nlohmann::json& object, const std::string& where, const char* key) {
  const auto& value = field(object, where, key);
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0)
    throw Malformed(at(where, key) + " is not a feature id (an integer >= 0)");
  return value.get<std::int64_t>();
}

// A correlation or cosine; null (NaN as nlohmann writes it) stays null.
nlohmann::json similarity(const nlohmann::json& object, const std::string& where, const char* key) {
  const auto& value = field(object, where, key);
  if (!value.is_number() && !value.is_null()) throw Malformed(at(where, key) + " is not a number");
  return value;
}

const nlohmann::json& list(const nlohmann::json& object, const std::string& where, const char* key) {
  const auto& value = field(object, where, key);
  if (!value.is_array()) throw Malformed(at(where, key) + " is not a list");
  return value;
}

double strength(const nlohmann::json& entry) {
  const auto& c = entry["correlation"];
  return c.is_number() ? c.get<double>() : -2.0;  // unknown ones last
}

// The relations found so far, by feature of the exported dictionary. Lists
// that can be long (children, features of another model whose best match is
// this one) are capped per dictionary when done, strongest first.
class Collector {
 public:
  explicit Collector(const RelatedFeaturesQuery& query) : query_(query) {}

  // The whole file is checked, also where it is about other dictionaries:
  // a malformed file is an error whichever dictionary is exported.
  void twins(const nlohmann::json& json, const std::string& source) {
    const std::string model_a = text(json, "", "model_a"), dictionary_a = text(json, "", "dictionary_a");
    const std::string model_b = text(json, "", "model_b"), dictionary_b = text(json, "", "dictionary_b");
    const auto& features = list(json, "", "features");
    for (std::size_t i = 0; i < features.size(); ++i) {
      const std::string where = at("features", i);
      const std::int64_t unit = feature_id(features[i], where, "unit"), twin = feature_id(features[i], where, "twin");
      const auto correlation = similarity(features[i], where, "correlation");
      // A's feature `unit` has B's feature `twin` as its best match.
      if (dictionary_a == query_.dictionary)
        add(unit, where + ".unit", "twins",
            entry(dictionary_b, twin, source, {{"model", model_b}, {"correlation", correlation}, {"direction", "best_match"}}));
      if (dictionary_b == query_.dictionary)
        add(twin, where + ".twin", "twins",
            entry(dictionary_a, unit, source, {{"model", model_a}, {"correlation", correlation}, {"direction", "best_match_of"}}));
    }
  }

  void splitting(const nlohmann::json& json, const std::string& source) {
    const std::string model = text(json, "", "model");
    const auto& links = list(json, "", "links");
    for (std::size_t l = 0; l < links.size(); ++l) {
      const std::string where_link = at("links", l);
      const std::string parent_dictionary = text(links[l], where_link, "parent_dictionary");
      const std::string child_dictionary = text(links[l], where_link, "child_dictionary");
      const auto& pairs = list(links[l], where_link, "pairs");
      for (std::size_t p = 0; p < pairs.size(); ++p) {
        const std::string where = at(where_link + ".pairs", p);
        const std::int64_t child = feature_id(pairs[p], where, "child"), parent = feature_id(pairs[p], where, "parent");
        const nlohmann::json measures = {{"model", model},
                                         {"correlation", similarity(pairs[p], where, "correlation")},
                                         {"cosine", similarity(pairs[p], where, "cosine")}};
        if (child_dictionary == query_.dictionary)
          add(child, where + ".child", "parents", entry(parent_dictionary, parent, source, measures));
        if (parent_dictionary == query_.dictionary)
          add(parent, where + ".parent", "children", entry(child_dictionary, child, source, measures));
      }
    }
  }

  std::map<std::int64_t, nlohmann::json> finish() {
    for (auto& [id, related] : by_feature_) {
      cap(related, "twins", "more_twins", [](const nlohmann::json& e) { return e["direction"] == "best_match_of"; });
      cap(related, "children", "more_children", [](const nlohmann::json&) { return true; });
    }
    return std::move(by_feature_);
  }

 private:
  nlohmann::json entry(const std::string& dictionary, std::int64_t feature, const std::string& source,
                       const nlohmann::json& measures) const {
    nlohmann::json e = {{"dictionary", dictionary}, {"feature", feature}};
    e.update(measures);
    const auto it = query_.analysis_of_dictionary.find(dictionary);
    e["href"] = it == query_.analysis_of_dictionary.end() ? nlohmann::json()
                                                           : nlohmann::json(related_feature_href(it->second, feature));
    e["source"] = source;
    return e;
  }

  void add(std::int64_t id, const std::string& where, const char* kind, nlohmann::json e) {
    if (id >= query_.n_features)
      throw Malformed(where + " is " + std::to_string(id) + ", not a feature of " + query_.dictionary + " (it has " +
                      std::to_string(query_.n_features) + ")");
    auto& related = by_feature_[id];
    if (related.is_null())
      related = {{"twins", nlohmann::json::array()}, {"parents", nlohmann::json::array()},
                 {"children", nlohmann::json::array()}};
    related[kind].push_back(std::move(e));
  }

  // Sorts the entries of `kind` that `cappable` picks by dictionary (first
  // seen first), then strongest first, keeps max_per_dictionary of each, and
  // counts the rest per dictionary in `more`.
  template <typename Pick>
  void cap(nlohmann::json& related, const char* kind, const char* more, Pick cappable) {
    auto& entries = related[kind];
    std::vector<nlohmann::json> kept, pool;
    for (auto& e : entries) (cappable(e) ? pool : kept).push_back(std::move(e));
    std::vector<std::string> order;
    const auto rank = [&](const nlohmann::json& e) {
      const auto dictionary = e["dictionary"].get<std::string>();
      const auto it = std::find(order.begin(), order.end(), dictionary);
      if (it != order.end()) return it - order.begin();
      order.push_back(dictionary);
      return static_cast<std::ptrdiff_t>(order.size() - 1);
    };
    for (const auto& e : pool) rank(e);
    std::stable_sort(pool.begin(), pool.end(), [&](const nlohmann::json& x, const nlohmann::json& y) {
      if (rank(x) != rank(y)) return rank(x) < rank(y);
      return strength(x) > strength(y);
    });
    std::map<std::string, std::size_t> shown;
    nlohmann::json omitted = nlohmann::json::object();
    for (auto& e : pool) {
      const auto dictionary = e["dictionary"].get<std::string>();
      if (shown[dictionary]++ < query_.max_per_dictionary) kept.push_back(std::move(e));
      else omitted[dictionary] = omitted.value(dictionary, 0) + 1;
    }
    entries = std::move(kept);
    if (!omitted.empty()) related[more] = std::move(omitted);
  }

  const RelatedFeaturesQuery& query_;
  std::map<std::int64_t, nlohmann::json> by_feature_;
};

}  // namespace

std::string related_feature_href(const std::string& analysis_stage, std::int64_t feature) {
  return "../" + analysis_stage + "/#/feature/" + std::to_string(feature);
}

absl::StatusOr<std::map<std::int64_t, nlohmann::json>> collect_related_features(const RelatedFeaturesQuery& query) {
  std::vector<fs::path> stage_dirs;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(query.run_dir / "stages", error))
    if (entry.is_directory()) stage_dirs.push_back(entry.path());
  std::sort(stage_dirs.begin(), stage_dirs.end());  // the same order on every export

  Collector collector(query);
  for (const auto& dir : stage_dirs) {
    // A stage is finished when its manifest is there (written last); one that
    // is running or was stopped has at most a checkpoint and partial files.
    if (!read_manifest(dir)) continue;
    const std::string stage = dir.filename().string();
    for (const char* name : {"twins.json", "splitting.json"}) {
      const fs::path file = dir / name;
      if (!fs::exists(file)) continue;
      std::ifstream in(file);
      const auto json = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
      const std::string fix = "; run that stage again (dictlab run EXPERIMENT --force " + stage +
                              ") or move the stage's folder out of the run";
      if (json.is_discarded())
        return absl::FailedPreconditionError(file.string() + ": not valid JSON" + fix);
      try {
        if (std::string(name) == "twins.json") collector.twins(json, stage);
        else collector.splitting(json, stage);
      } catch (const Malformed& malformed) {
        return absl::FailedPreconditionError(file.string() + ": " + malformed.what() + fix);
      }
    }
  }
  return collector.finish();
}

}  // namespace dictlab::host

#pragma once

// The feature store: one SQLite file (features.sqlite in the analysis
// stage's directory) with every feature's summary and evidence. Labelers and
// the site read it; plain SQL works on it too:
//   sqlite3 features.sqlite "SELECT id, density FROM features ORDER BY density DESC LIMIT 10"
//
//   meta(key TEXT PRIMARY KEY, value TEXT)        JSON values: n_features, tokens_analysed, ...
//   features(id INTEGER PRIMARY KEY, density, max_activation, mean_activation,
//            x, y,             the 2-D layout, in [0, 1]
//            top_tokens,       the tokens its top examples were chosen for, space separated
//            evidence)         FeatureEvidence as JSON (host/site/DATA.md's feature object)

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "dictlab/feature_evidence.h"
#include "dictlab/sqlite.h"

namespace dictlab {

struct FeatureSummary {
  std::int64_t id = 0;
  double density = 0.0, max_activation = 0.0, x = 0.0, y = 0.0;
  std::string top_tokens;
};

class FeatureStore {
 public:
  static constexpr const char* kFileName = "features.sqlite";

  // A new, empty store; write it at a temporary path and rename it when done.
  static FeatureStore create(const std::filesystem::path& file) {
    std::filesystem::remove(file);
    FeatureStore store(file, SqliteDatabase::Mode::kCreate);
    store.db_.execute(
        "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE features(id INTEGER PRIMARY KEY, density REAL NOT NULL, max_activation REAL NOT NULL,"
        " mean_activation REAL NOT NULL, x REAL NOT NULL, y REAL NOT NULL, top_tokens TEXT NOT NULL,"
        " evidence TEXT NOT NULL);");
    return store;
  }
  static FeatureStore open(const std::filesystem::path& file) {
    if (!std::filesystem::exists(file)) throw PluginError("no feature store at " + file.string());
    return FeatureStore(file, SqliteDatabase::Mode::kReadOnly);
  }

  void set_meta(const std::string& key, const nlohmann::json& value) {
    db_.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)").bind(1, key).bind(2, value.dump()).run();
  }
  nlohmann::json meta(const std::string& key) {
    auto query = db_.prepare("SELECT value FROM meta WHERE key = ?");
    query.bind(1, key);
    if (!query.step()) throw PluginError(db_.file() + ": no meta key '" + key + "'");
    return parse(query.text(0), "meta key '" + key + "'");
  }

  void begin() { db_.execute("BEGIN"); }
  void commit() { db_.execute("COMMIT"); }

  void put(const FeatureEvidence& evidence, double x, double y, const std::string& top_tokens) {
    db_.prepare("INSERT OR REPLACE INTO features VALUES(?, ?, ?, ?, ?, ?, ?, ?)")
        .bind(1, evidence.feature)
        .bind(2, evidence.density)
        .bind(3, evidence.max_activation)
        .bind(4, evidence.mean_activation)
        .bind(5, x)
        .bind(6, y)
        .bind(7, top_tokens)
        .bind(8, nlohmann::json(evidence).dump())
        .run();
  }

  std::int64_t size() {
    auto query = db_.prepare("SELECT COUNT(*) FROM features");
    query.step();
    return query.integer(0);
  }

  void for_each_summary(const std::function<void(const FeatureSummary&)>& visit) {
    auto query = db_.prepare("SELECT id, density, max_activation, x, y, top_tokens FROM features ORDER BY id");
    while (query.step())
      visit({query.integer(0), query.real(1), query.real(2), query.real(3), query.real(4), query.text(5)});
  }

  // Evidence as stored (DATA.md's feature object), in id order, from `first` on.
  void for_each_evidence(std::int64_t first, std::int64_t count,
                         const std::function<void(std::int64_t id, nlohmann::json evidence)>& visit) {
    auto query = db_.prepare("SELECT id, evidence FROM features WHERE id >= ? ORDER BY id LIMIT ?");
    query.bind(1, first).bind(2, count);
    while (query.step()) {
      const std::int64_t id = query.integer(0);
      visit(id, parse(query.text(1), "the evidence of feature " + std::to_string(id)));
    }
  }

  FeatureEvidence evidence(std::int64_t id) {
    FeatureEvidence result;
    bool found = false;
    for_each_evidence(id, 1, [&](std::int64_t got, nlohmann::json json) {
      if (got != id) return;
      result = json.get<FeatureEvidence>();
      found = true;
    });
    if (!found) throw PluginError(db_.file() + ": no feature " + std::to_string(id));
    return result;
  }

 private:
  FeatureStore(const std::filesystem::path& file, SqliteDatabase::Mode mode) : db_(file, mode) {}

  nlohmann::json parse(const std::string& text, const std::string& what) const {
    auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) throw PluginError(db_.file() + ": " + what + " is not valid JSON");
    return json;
  }
  SqliteDatabase db_;
};

}  // namespace dictlab

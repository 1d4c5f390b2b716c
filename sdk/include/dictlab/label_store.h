#pragma once

// Human labels of a run: RUN_DIR/labels.sqlite, written by the labelling page
// of `dictlab serve` the moment a label is saved, read by the `human`
// labeler stage. One label per (analysis stage, feature, author): an author
// who labels a feature again replaces their own label, never someone else's;
// SQLite's locking lets several people label at once. Reading never fails on
// a row that is not UTF-8 (an old import of a Latin-1 file): its bad bytes
// come back as U+FFFD, so one such row cannot stop the site or a run.

#include <chrono>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "dictlab/sqlite.h"
#include "dictlab/utf8.h"

namespace dictlab {

struct HumanLabel {
  std::int64_t feature = 0;
  std::string author;
  std::string text;
  std::optional<double> rubric;  // the paper's 0-4 confidence rubric
  std::string created_at;        // ISO 8601, UTC, when it was written here (informational: see latest())
};

class LabelStore {
 public:
  static constexpr const char* kFileName = "labels.sqlite";

  explicit LabelStore(const std::filesystem::path& file) : db_(file, SqliteDatabase::Mode::kCreate) {
    db_.execute("PRAGMA journal_mode=WAL");
    db_.execute(
        "CREATE TABLE IF NOT EXISTS human_labels(analysis TEXT NOT NULL, feature INTEGER NOT NULL,"
        " author TEXT NOT NULL, text TEXT NOT NULL, rubric REAL, created_at TEXT NOT NULL,"
        " PRIMARY KEY(analysis, feature, author))");
  }

  void put(const std::string& analysis, HumanLabel label) {
    if (label.created_at.empty()) label.created_at = now();
    auto insert = db_.prepare("INSERT OR REPLACE INTO human_labels VALUES(?, ?, ?, ?, ?, ?)");
    insert.bind(1, analysis).bind(2, label.feature).bind(3, label.author).bind(4, label.text);
    if (label.rubric) insert.bind(5, *label.rubric);
    else insert.bind_null(5);
    insert.bind(6, label.created_at).run();
  }

  // Every label of the analysis stage; `feature` or `author` narrow it.
  std::vector<HumanLabel> labels(const std::string& analysis, std::optional<std::int64_t> feature = {},
                                 const std::string& author = "") {
    return select(analysis, feature, author, "ORDER BY feature, author");
  }

  // The label of `feature` written last (by `author`, or by anyone for ""). Write
  // order, not created_at, decides: a date is only what some file claimed.
  std::optional<HumanLabel> latest(const std::string& analysis, std::int64_t feature, const std::string& author = "") {
    auto found = select(analysis, feature, author, "ORDER BY rowid DESC LIMIT 1");
    if (found.empty()) return std::nullopt;
    return std::move(found.front());
  }

  static std::string now() {
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&t, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
  }

 private:
  std::vector<HumanLabel> select(const std::string& analysis, std::optional<std::int64_t> feature,
                                 const std::string& author, const std::string& order) {
    auto query = db_.prepare(
        "SELECT feature, author, text, rubric, created_at FROM human_labels WHERE analysis = ?"
        " AND (? < 0 OR feature = ?) AND (? = '' OR author = ?) " + order);
    const std::int64_t id = feature.value_or(-1);
    query.bind(1, analysis).bind(2, id).bind(3, id).bind(4, author).bind(5, author);
    std::vector<HumanLabel> out;
    while (query.step()) {
      HumanLabel label{query.integer(0), replace_invalid_utf8(query.text(1)), replace_invalid_utf8(query.text(2)),
                       std::nullopt, replace_invalid_utf8(query.text(4))};
      if (!query.is_null(3)) label.rubric = query.real(3);
      out.push_back(std::move(label));
    }
    return out;
  }

  SqliteDatabase db_;
};

}  // namespace dictlab

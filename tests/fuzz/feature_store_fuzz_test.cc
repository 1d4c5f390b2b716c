// Mutated feature stores through `dictlab export`: the SQL of a valid store
// with ids, meta values and evidence JSON mutated (what a hand-edited or
// foreign features.sqlite holds), and the binary file itself mutated.
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iterator>

#include "dictlab/sqlite.h"
#include "fuzz_runner.h"
#include "site_export.h"
#include "synthetic_analysis.h"

namespace dictlab::fuzz {
namespace {

namespace fs = std::filesystem;

// Every row of the synthetic store as SQL a mutation can change.
std::string store_as_sql() {
  FuzzDir dir;
  testing::write_synthetic_analysis(dir.path() / "run", "features", 4);
  SqliteDatabase db(dir.path() / "run/stages/features" / FeatureStore::kFileName, SqliteDatabase::Mode::kReadOnly);
  std::string sql =
      "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);\n"
      "CREATE TABLE features(id INTEGER PRIMARY KEY, density REAL NOT NULL, max_activation REAL NOT NULL,"
      " mean_activation REAL NOT NULL, x REAL NOT NULL, y REAL NOT NULL, top_tokens TEXT NOT NULL,"
      " evidence TEXT NOT NULL);\n";
  auto quoted = [](std::string text) {
    for (std::size_t at = text.find('\''); at != std::string::npos; at = text.find('\'', at + 2)) text.insert(at, "'");
    return "'" + text + "'";
  };
  auto meta = db.prepare("SELECT key, value FROM meta");
  while (meta.step()) sql += "INSERT INTO meta VALUES(" + quoted(meta.text(0)) + ", " + quoted(meta.text(1)) + ");\n";
  auto rows = db.prepare("SELECT id, density, max_activation, mean_activation, x, y, top_tokens, evidence FROM features");
  while (rows.step())
    sql += "INSERT INTO features VALUES(" + std::to_string(rows.integer(0)) + ", " + rows.text(1) + ", " +
           rows.text(2) + ", " + rows.text(3) + ", " + rows.text(4) + ", " + rows.text(5) + ", " +
           quoted(rows.text(6)) + ", " + quoted(rows.text(7)) + ");\n";
  return sql;
}

std::string store_bytes() {
  FuzzDir dir;
  testing::write_synthetic_analysis(dir.path() / "run", "features", 4);
  std::ifstream in(dir.path() / "run/stages/features" / FeatureStore::kFileName, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A run directory beside the input whose analysis stage holds `store`.
fs::path run_with_store(const fs::path& input, const std::function<void(const fs::path&)>& write_store) {
  const fs::path run = input.parent_path() / "run";
  fs::remove_all(run);
  fs::create_directories(run / "stages/features");
  AtomicFile::write_all(run / "stages/features/manifest.json", "{}\n");
  write_store(run / "stages/features" / FeatureStore::kFileName);
  return run;
}

void export_it(const fs::path& run) {
  host::SiteExportOptions options;
  options.run_dir = run;
  options.stage = "features";
  options.out = run.parent_path() / "site";
  const absl::Status status = host::export_site(options);
  if (status.ok()) return;
  const std::string message(status.message());
  if (message.find("[json.exception") != std::string::npos || message.find("basic_string") != std::string::npos)
    throw std::runtime_error("a library's message, not ours: " + message);
  throw PluginError(message);
}

TEST(FeatureStoreFuzz, MutatedStoreContentsExportOrFailWithAClearError) {
  run_fuzz({.name = "features_sqlite_rows",
            .seeds = {store_as_sql()},
            .inputs = 3000,
            .parse =
                [](const fs::path& sql_file) {
                  std::ifstream in(sql_file, std::ios::binary);
                  const std::string sql{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
                  export_it(run_with_store(sql_file, [&](const fs::path& store) {
                    SqliteDatabase(store, SqliteDatabase::Mode::kCreate).execute(sql);
                  }));
                },
            .file_name = "features.sql"});
}

TEST(FeatureStoreFuzz, MutatedStoreFilesExportOrFailWithAClearError) {
  run_fuzz({.name = "features_sqlite_bytes",
            .seeds = {store_bytes()},
            .inputs = 2000,
            .parse =
                [](const fs::path& file) {
                  export_it(run_with_store(file, [&](const fs::path& store) { fs::copy_file(file, store); }));
                },
            .file_name = "features.sqlite"});
}

}  // namespace
}  // namespace dictlab::fuzz

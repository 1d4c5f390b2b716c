#pragma once

// A thin RAII layer over SQLite's C API: the feature store's only dependency.
// Errors throw PluginError naming the database file and SQLite's message.

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "dictlab/errors.h"

namespace dictlab {

class SqliteStatement {
 public:
  SqliteStatement(sqlite3* db, std::string_view sql, const std::string& where) : db_(db), where_(where) {
    sqlite3_stmt* statement = nullptr;
    check(sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &statement, nullptr));
    statement_.reset(statement);
  }

  SqliteStatement& bind(int index, std::int64_t value) { return checked(sqlite3_bind_int64(get(), index, value)); }
  SqliteStatement& bind(int index, double value) { return checked(sqlite3_bind_double(get(), index, value)); }
  SqliteStatement& bind(int index, std::string_view value) {
    return checked(sqlite3_bind_text(get(), index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT));
  }
  SqliteStatement& bind_null(int index) { return checked(sqlite3_bind_null(get(), index)); }

  // True while there is a row to read.
  bool step() {
    const int rc = sqlite3_step(get());
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) check(rc);
    return false;
  }
  // Runs a statement that returns no rows, then readies it for new bindings.
  void run() {
    while (step()) {
    }
    sqlite3_reset(get());
    sqlite3_clear_bindings(get());
  }

  std::int64_t integer(int column) const { return sqlite3_column_int64(get(), column); }
  double real(int column) const { return sqlite3_column_double(get(), column); }
  bool is_null(int column) const { return sqlite3_column_type(get(), column) == SQLITE_NULL; }
  std::string text(int column) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(get(), column));
    return data ? std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(get(), column))) : std::string();
  }

 private:
  struct Finalize {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  sqlite3_stmt* get() const { return statement_.get(); }
  SqliteStatement& checked(int rc) {
    check(rc);
    return *this;
  }
  void check(int rc) const {
    if (rc != SQLITE_OK) throw PluginError(where_ + ": " + sqlite3_errmsg(db_));
  }

  sqlite3* db_;
  std::string where_;
  std::unique_ptr<sqlite3_stmt, Finalize> statement_;
};

class SqliteDatabase {
 public:
  enum class Mode { kReadOnly, kReadWrite, kCreate };

  SqliteDatabase(const std::filesystem::path& file, Mode mode) : where_(file.string()) {
    const int flags = mode == Mode::kReadOnly    ? SQLITE_OPEN_READONLY
                      : mode == Mode::kReadWrite ? SQLITE_OPEN_READWRITE
                                                 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(where_.c_str(), &db, flags | SQLITE_OPEN_FULLMUTEX, nullptr);
    db_.reset(db);
    if (rc != SQLITE_OK) throw PluginError("cannot open " + where_ + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
    // Two writers (say, two people labelling) wait for each other instead of failing.
    sqlite3_busy_timeout(db, 10000);
  }

  void execute(std::string_view sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_.get(), std::string(sql).c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      const std::string text = message ? message : "unknown error";
      sqlite3_free(message);
      throw PluginError(where_ + ": " + text);
    }
  }
  SqliteStatement prepare(std::string_view sql) { return SqliteStatement(db_.get(), sql, where_); }
  const std::string& file() const { return where_; }

 private:
  struct Close {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  std::string where_;
  std::unique_ptr<sqlite3, Close> db_;
};

}  // namespace dictlab

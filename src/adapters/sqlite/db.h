// A thin RAII layer over one sqlite3 connection: cached prepared statements and typed binds.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bo::sqlite {

// A statement or connection failure that the caller cannot handle locally (I/O error, full
// disk, a violated CHECK). The writer turns it into a failed job or a failed commit.
class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// One execution of a cached statement; resets and clears it when destroyed.
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  Query& Bind(int index, std::string_view text);
  Query& Bind(int index, std::int64_t value);
  Query& Bind(int index, int value) { return Bind(index, static_cast<std::int64_t>(value)); }
  Query& BindNull(int index);
  // Binds NULL for an empty string.
  Query& BindOptional(int index, std::string_view text) {
    return text.empty() ? BindNull(index) : Bind(index, text);
  }

  // Advances to the next row: true if there is one. Throws SqliteError on failure.
  bool Step();
  // Runs a statement that returns no rows; returns sqlite3_changes().
  int Exec();

  std::string Text(int column) const;
  std::int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Db {
 public:
  // Opens (creating if asked) the database at `path` with WAL, a busy timeout and foreign
  // keys off (the writer checks references itself). Throws SqliteError.
  Db(const std::string& path, bool read_only);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements with no parameters. Throws SqliteError.
  void Exec(const char* sql);

  // Returns a query over the statement for `sql`, prepared once per connection.
  // REQUIRES: `sql` is a string literal (statements are cached by its address).
  Query Prepare(const char* sql);

  sqlite3* raw() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> statements_;
};

}  // namespace bo::sqlite

#include "adapters/sqlite/db.h"

#include <chrono>
#include <thread>

namespace bo::sqlite {
namespace {

[[noreturn]] void Fail(sqlite3* db, int rc, std::string_view what) {
  throw SqliteError(rc, std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
}

}  // namespace

Query& Query::Bind(int index, std::string_view text) {
  const int rc =
      sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) Fail(db_, rc, "bind");
  return *this;
}

Query& Query::Bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) Fail(db_, rc, "bind");
  return *this;
}

Query& Query::BindNull(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) Fail(db_, rc, "bind");
  return *this;
}

bool Query::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Fail(db_, rc, "step");
}

int Query::Exec() {
  while (Step()) {
  }
  return sqlite3_changes(db_);
}

std::string Query::Text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string();
}

namespace {

constexpr auto kBusyTimeout = std::chrono::milliseconds(5'000);
constexpr int kShortBusyWaits = 20;
constexpr auto kShortBusyWait = std::chrono::microseconds(100);
constexpr auto kLongBusyWait = std::chrono::milliseconds(1);

// Waits for another connection's write lock for up to kBusyTimeout in steps of at most 1 ms
// (SQLite's own busy timeout sleeps up to 100 ms at a time, long after a short write ended).
int WaitWhileBusy(void*, int count) {
  thread_local std::chrono::steady_clock::time_point started;
  const auto now = std::chrono::steady_clock::now();
  if (count == 0) started = now;
  if (now - started >= kBusyTimeout) return 0;
  std::this_thread::sleep_for(count < kShortBusyWaits ? kShortBusyWait : kLongBusyWait);
  return 1;
}

}  // namespace

Db::Db(const std::string& path, bool read_only) {
  const int flags = read_only ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
                              : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError(rc, "open " + path + ": " + msg);
  }
  sqlite3_busy_handler(db_, &WaitWhileBusy, nullptr);
  if (!read_only) {
    Exec("PRAGMA journal_mode=WAL");
    // FULL: each commit is on disk before any of its requests is answered. Group commit
    // spreads the fsync over every request of the batch.
    Exec("PRAGMA synchronous=FULL");
  }
}

Db::~Db() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

void Db::Exec(const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw SqliteError(rc, std::string("exec: ") + msg);
  }
}

Query Db::Prepare(const char* sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) Fail(db_, rc, std::string("prepare ") + sql);
    it = statements_.emplace(sql, stmt).first;
  }
  return Query(db_, it->second);
}

}  // namespace bo::sqlite

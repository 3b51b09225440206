// A small RAII layer over one blocking libpq connection: prepared statements with text
// parameters, and replies that carry PostgreSQL's SQLSTATE as a value instead of throwing.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace bo::lockbench::pg {

// SQLSTATEs the experiment tells apart (PostgreSQL appendix A).
inline constexpr std::string_view kDeadlockDetected = "40P01";
inline constexpr std::string_view kLockNotAvailable = "55P03";  // lock_timeout expired
inline constexpr std::string_view kSerializationFailure = "40001";
// Given to failures that happen in libpq before the server answers (connection lost).
inline constexpr std::string_view kConnectionFailure = "08006";

// The outcome of one statement: rows, or the error PostgreSQL (or libpq) gave. Move-only.
class Reply {
 public:
  Reply(Reply&&) noexcept;
  Reply& operator=(Reply&&) noexcept;
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  ~Reply();

  bool ok() const { return sqlstate_.empty(); }
  // Five characters when !ok() (kConnectionFailure if the server never answered); empty if ok.
  const std::string& sqlstate() const { return sqlstate_; }
  // PostgreSQL's message, one line, when !ok(); empty if ok.
  const std::string& error() const { return error_; }

  // REQUIRES: ok()
  int rows() const;
  // Rows inserted, updated or deleted by the statement. REQUIRES: ok()
  std::int64_t affected_rows() const;
  // REQUIRES: ok(), row < rows(), `column` exists.
  bool IsNull(int row, int column) const;
  // REQUIRES: as IsNull, and the value is not NULL.
  std::string Text(int row, int column) const;
  // REQUIRES: as Text, and the value is an integer that fits in 64 bits.
  std::int64_t Int64(int row, int column) const;

 private:
  friend class Connection;
  Reply(PGresult* result, std::string sqlstate, std::string error);

  PGresult* result_;  // owned; null when the server never answered
  std::string sqlstate_;
  std::string error_;
};

class Connection {
 public:
  // Connects to `url`, a libpq connection URI (postgres://user@host:port/db?…). The error
  // names the URL's host and libpq's reason.
  static Result<std::unique_ptr<Connection>> Open(const std::string& url);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Prepares `sql` under `name` on this connection. Values always travel as parameters
  // ($1, $2, …) of a prepared statement, never inside the text.
  // REQUIRES: `name` not yet prepared on this connection.
  Status Prepare(const char* name, const char* sql);

  // Runs the prepared statement `name` with `params` in text form.
  // REQUIRES: Prepare(name, …) succeeded and `params` has as many values as the statement.
  Reply Run(const char* name, std::initializer_list<std::string_view> params);

  // Runs `sql` once with `params` ($1, $2, …) as an unnamed prepared statement: for statements
  // run once or twice per connection. The same rule holds: values only as parameters.
  Reply RunOnce(const char* sql, std::initializer_list<std::string_view> params);

  // Runs constant SQL text that carries no values: transaction control (BEGIN, COMMIT,
  // ROLLBACK), settings and schema statements. Several statements may be separated by ';'.
  Reply Exec(const char* sql);

  // True once libpq reports the connection as lost; every later call fails.
  bool broken() const;

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  Reply MakeReply(PGresult* result);

  PGconn* conn_;
};

// The `host:port/db` part of a libpq URL (user and password left out), for messages.
std::string DescribeUrl(const std::string& url);

}  // namespace bo::lockbench::pg

// A small RAII layer over one libpq connection: statements prepared by name once per
// connection, values always as parameters, and replies that carry PostgreSQL's SQLSTATE as a
// value instead of throwing.
//
// A connection is used in one of two modes, chosen when it is opened:
//  - blocking (Open): one statement per round trip (Prepare, Run, RunOnce, Exec);
//  - pipelined (OpenPipelined): the socket is non-blocking and in libpq's pipeline mode.
//    Queue() adds a statement to the pipeline without waiting; RoundTrip() sends everything
//    queued followed by one Sync and reads every reply, waiting at most round_trip_timeout_ms.
//    The statements queued between two round trips form one segment: after an error in a
//    segment the server skips the rest of it (those replies are skipped()).
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/result.h"

namespace bo::pg {

// SQLSTATEs told apart (PostgreSQL appendix A).
inline constexpr std::string_view kDeadlockDetected = "40P01";
inline constexpr std::string_view kLockNotAvailable = "55P03";  // lock_timeout expired
inline constexpr std::string_view kSerializationFailure = "40001";
inline constexpr std::string_view kUniqueViolation = "23505";
// Given to failures that happen in libpq before the server answers (connection lost).
inline constexpr std::string_view kConnectionFailure = "08006";

struct SetForm;

// A statement with a name, prepared on a connection the first time it is queued there.
// REQUIRES: `name` identifies `sql` across the program; both are string literals.
struct Statement {
  const char* name;
  const char* sql;
  // The same statement for many rows at once, or null (see SetForm). Only the jobs of an
  // interleaved batch use it (FiberBatch); everything else sends the plain statement.
  const SetForm* set_form = nullptr;
};

// How the reply of a set form is handed back to each statement it stands for.
enum class SetReply {
  // The plain statement returns rows (SELECT, or a write with RETURNING): the set form returns
  // the same columns preceded by one more, the 1-based position of the row's statement in the
  // arrays (WITH ORDINALITY), so that each statement gets exactly its rows, in their order.
  kRowsByOrdinal,
  // The plain statement returns nothing anyone reads (an INSERT without RETURNING): only
  // statements whose reply nobody awaits are coalesced, and the set form's reply is not split.
  kUnread,
};

// The set-based form of a Statement: one statement that does what n runs of the plain one do.
// It takes, for each parameter $k of the plain statement, one array parameter $k holding that
// parameter of every run, in the order of the runs (text form, see array_param.h; NULL
// elements for NULL values); the SQL unnests them WITH ORDINALITY. Its effect must equal the
// plain statement's run once per element in some order: conditional writes keep their WHERE
// clause (a row wanted by two runs is changed once, for one of them; the other gets no row).
struct SetForm {
  Statement statement;
  SetReply reply;
};

// One value of a statement, in PostgreSQL's text form, or NULL.
class Param {
 public:
  Param(std::string_view text) : text_(text) {}  // NOLINT: implicit by design
  Param(const std::string& text) : text_(text) {}
  Param(std::string&& text) : text_(std::move(text)) {}
  Param(const char* text) : text_(text) {}
  Param(std::int64_t value) : text_(std::to_string(value)) {}
  Param(int value) : text_(std::to_string(value)) {}
  static Param Null() {
    Param p("");
    p.null_ = true;
    return p;
  }
  // NULL for an empty string.
  static Param Optional(std::string_view text) { return text.empty() ? Null() : Param(text); }

  const char* c_str() const { return null_ ? nullptr : text_.c_str(); }

 private:
  std::string text_;
  bool null_ = false;
};

// A failure that ends what the caller was doing: a lost connection, a timed-out round trip, or a
// statement that failed where no failure was expected.
class PgError : public std::runtime_error {
 public:
  PgError(std::string sqlstate, const std::string& what)
      : std::runtime_error(what), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  // Class 08: the connection is gone; nothing more can be done on it.
  bool connection_lost() const { return sqlstate_.rfind("08", 0) == 0; }
  // A deadlock or serialization failure: the transaction may succeed if run again.
  bool retryable() const {
    return sqlstate_ == kDeadlockDetected || sqlstate_ == kSerializationFailure;
  }

 private:
  std::string sqlstate_;
};

// The outcome of one statement: rows, or the error PostgreSQL (or libpq) gave. Move-only.
class Reply {
 public:
  Reply(Reply&&) noexcept;
  Reply& operator=(Reply&&) noexcept;
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;
  ~Reply();

  bool ok() const { return sqlstate_.empty() && !skipped_; }
  // True when the server skipped the statement after an earlier error of its pipeline segment.
  bool skipped() const { return skipped_; }
  // Five characters when it failed (kConnectionFailure if the server never answered); empty
  // if ok or skipped.
  const std::string& sqlstate() const { return sqlstate_; }
  // PostgreSQL's message, one line, when !ok(); empty if ok.
  const std::string& error() const { return error_; }

  // Throws PgError unless ok(); `what` names the statement.
  void Check(const char* what) const;

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

  // The reply a plain statement would have had, cut out of the reply of its set form: the
  // rows `rows` of `whole` (in that order), without the first `columns_skipped` columns. Its
  // affected_rows() is rows.size(). Shares `whole`'s result, which may then go.
  // REQUIRES: whole.ok() and not itself a cut; every index < whole.rows(); columns_skipped >= 0.
  static Reply RowsOf(const Reply& whole, std::vector<int> rows, int columns_skipped);

 private:
  friend class Connection;
  Reply(PGresult* result, std::string sqlstate, std::string error);
  static Reply Skipped();
  // The row of the result that row `row` of this reply is.
  int ResultRow(int row) const { return cut_ ? rows_[static_cast<size_t>(row)] : row; }

  std::shared_ptr<PGresult> result_;  // null when the server never answered
  std::string sqlstate_;
  std::string error_;
  bool skipped_ = false;
  // A cut (RowsOf): only rows_ of the result, columns from columns_skipped_ on.
  bool cut_ = false;
  std::vector<int> rows_;
  int columns_skipped_ = 0;
};

// One row of a reply, read the way the row mappers of the adapters read (adapters/rows.h):
// Text() of NULL is empty, Int() of NULL is 0.
class Row {
 public:
  Row(const Reply& reply, int row) : reply_(reply), row_(row) {}
  std::string Text(int column) const {
    return reply_.IsNull(row_, column) ? std::string() : reply_.Text(row_, column);
  }
  std::int64_t Int(int column) const {
    return reply_.IsNull(row_, column) ? 0 : reply_.Int64(row_, column);
  }

 private:
  const Reply& reply_;
  int row_;
};

struct PipelineOptions {
  int connect_timeout_s = 2;          // libpq's connect_timeout
  int round_trip_timeout_ms = 5'000;  // past it the connection is given up as lost
  size_t queued_statements_max = 100'000;
};

class Connection {
 public:
  // Connects to `url`, a libpq connection URI (postgres://user@host:port/db?…), blocking, for
  // at most 2 s. The socket notices a peer gone silent (keepalives; data unacknowledged for
  // 10 s), so that a call on it fails instead of waiting forever. The error names the URL's
  // host and libpq's reason.
  static Result<std::unique_ptr<Connection>> Open(const std::string& url);

  // Connects to `url` for pipelined use and prepares `warm` at once (one round trip).
  static Result<std::unique_ptr<Connection>> OpenPipelined(const std::string& url,
                                                           const PipelineOptions& options,
                                                           std::span<const Statement> warm);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // --- Blocking mode. REQUIRES: opened with Open().

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

  // --- Pipelined mode. REQUIRES: opened with OpenPipelined().

  // Adds `statement` with `params` to the current segment (preparing it first if this
  // connection has not yet). Throws PgError if the connection is lost or the queue is full.
  void Queue(const Statement& statement, std::initializer_list<Param> params);
  void Queue(const Statement& statement, const std::vector<Param>& params);

  // Statements queued since the last round trip.
  size_t queued() const { return statements_queued_; }

  // Sends the segment, ends it with a Sync and returns one reply per queued statement, in
  // order. Throws PgError (connection_lost()) if the connection fails or times out; the
  // connection is then broken().
  std::vector<Reply> RoundTrip();

  // True once the connection is lost; every later call fails.
  bool broken() const;

  // Whether an idle connection is still usable: false if the server has closed it meanwhile
  // (a restart ends every session with a message and a close, which only a read notices).
  // Never blocks. REQUIRES: no round trip in progress.
  bool IdleAlive();

 private:
  explicit Connection(PGconn* conn) : conn_(conn) {}
  Reply MakeReply(PGresult* result);
  [[noreturn]] void Fail(const std::string& what);
  void QueuePrepare(const Statement& statement);
  void QueueRaw(const Statement& statement, const char* const* values, int count);
  void Flush(std::int64_t deadline_ms);
  PGresult* NextResult(std::int64_t deadline_ms);

  PGconn* conn_;
  bool pipelined_ = false;
  bool failed_ = false;
  PipelineOptions options_;
  // Names prepared (or being prepared) on this connection.
  std::unordered_set<std::string> prepared_;
  // What each queued protocol message is: a statement (its index in the reply), or a prepare.
  struct Queued {
    const char* prepare_name;  // non-null for a Parse of that statement
  };
  std::vector<Queued> queued_;
  size_t statements_queued_ = 0;
};

// The `host:port/db` part of a libpq URL (user and password left out), for messages.
std::string DescribeUrl(const std::string& url);

}  // namespace bo::pg

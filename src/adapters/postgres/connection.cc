#include "adapters/postgres/connection.h"

#include <poll.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include "common/assert.h"

namespace bo::pg {
namespace {

// The values a statement may take; more is a programming error.
constexpr size_t kParamsMax = 16;
// Blocking connections (Open): how long a connect may take, and how long data sent may stay
// unacknowledged before the connection counts as lost.
constexpr int kConnectTimeoutS = 2;
constexpr int kUnacknowledgedTimeoutMs = 10'000;

// libpq's messages end with a newline and may span lines; keep the first line.
std::string FirstLine(const char* message) {
  std::string text = message ? message : "";
  const size_t end = text.find('\n');
  if (end != std::string::npos) text.resize(end);
  return text.empty() ? "unknown error" : text;
}

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A blocking connect that gives up after `connect_timeout_s`, on a socket that notices a peer
// gone silent: keepalive probes after 5 s idle (3 unanswered, 2 s apart) and, for data sent
// but never acknowledged, TCP_USER_TIMEOUT. A statement the server is still running keeps
// its socket acknowledged, so neither cuts a slow statement short. nullptr if out of memory.
PGconn* ConnectWithTimeouts(const std::string& url, int connect_timeout_s) {
  const char* keys[] = {"dbname",
                        "connect_timeout",
                        "keepalives",
                        "keepalives_idle",
                        "keepalives_interval",
                        "keepalives_count",
                        "tcp_user_timeout",
                        nullptr};
  const std::string timeout = std::to_string(connect_timeout_s);
  const std::string user_timeout_ms = std::to_string(kUnacknowledgedTimeoutMs);
  const char* values[] = {url.c_str(), timeout.c_str(),         "1",    "5", "2",
                          "3",         user_timeout_ms.c_str(), nullptr};
  return PQconnectdbParams(keys, values, /*expand_dbname=*/1);
}

}  // namespace

Reply Reply::Skipped() {
  Reply r(nullptr, "", "skipped after an earlier error of its pipeline segment");
  r.skipped_ = true;
  return r;
}

void Reply::Check(const char* what) const {
  if (ok()) return;
  if (skipped_) throw PgError("", std::string(what) + ": " + error_);
  throw PgError(sqlstate_, std::string(what) + ": " + error_ + " (SQLSTATE " + sqlstate_ + ")");
}

Reply::Reply(PGresult* result, std::string sqlstate, std::string error)
    : sqlstate_(std::move(sqlstate)), error_(std::move(error)) {
  if (result != nullptr) result_.reset(result, PQclear);
}

Reply::Reply(Reply&& other) noexcept = default;
Reply& Reply::operator=(Reply&& other) noexcept = default;
Reply::~Reply() = default;

Reply Reply::RowsOf(const Reply& whole, std::vector<int> rows, int columns_skipped) {
  BO_ASSERT(whole.ok() && whole.result_ != nullptr && !whole.cut_ && columns_skipped >= 0);
  const int total = PQntuples(whole.result_.get());
  for (const int row : rows) BO_ASSERT(row >= 0 && row < total);
  Reply cut(nullptr, "", "");
  cut.result_ = whole.result_;
  cut.cut_ = true;
  cut.rows_ = std::move(rows);
  cut.columns_skipped_ = columns_skipped;
  return cut;
}

int Reply::rows() const {
  BO_ASSERT(ok() && result_ != nullptr);
  return cut_ ? static_cast<int>(rows_.size()) : PQntuples(result_.get());
}

std::int64_t Reply::affected_rows() const {
  BO_ASSERT(ok() && result_ != nullptr);
  if (cut_) return static_cast<std::int64_t>(rows_.size());
  const char* text = PQcmdTuples(result_.get());
  std::int64_t n = 0;
  if (text != nullptr && *text != '\0') {
    const std::string_view view(text);
    const auto parsed = std::from_chars(view.data(), view.data() + view.size(), n);
    BO_ASSERT(parsed.ec == std::errc());
  }
  return n;
}

bool Reply::IsNull(int row, int column) const {
  BO_ASSERT(ok() && row >= 0 && row < rows() && column >= 0 &&
            column + columns_skipped_ < PQnfields(result_.get()));
  return PQgetisnull(result_.get(), ResultRow(row), column + columns_skipped_) != 0;
}

std::string Reply::Text(int row, int column) const {
  BO_ASSERT(!IsNull(row, column));
  const int at = column + columns_skipped_;
  return std::string(PQgetvalue(result_.get(), ResultRow(row), at),
                     static_cast<size_t>(PQgetlength(result_.get(), ResultRow(row), at)));
}

std::int64_t Reply::Int64(int row, int column) const {
  BO_ASSERT(!IsNull(row, column));
  const int at = column + columns_skipped_;
  const char* text = PQgetvalue(result_.get(), ResultRow(row), at);
  const int length = PQgetlength(result_.get(), ResultRow(row), at);
  std::int64_t value = 0;
  const auto parsed = std::from_chars(text, text + length, value);
  BO_ASSERT(parsed.ec == std::errc() && parsed.ptr == text + length);
  return value;
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& url) {
  PGconn* conn = ConnectWithTimeouts(url, kConnectTimeoutS);
  if (conn == nullptr) {
    return MakeError(ErrorCode::kUnavailable, "PostgreSQL: out of memory");
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message =
        "PostgreSQL at " + DescribeUrl(url) + ": " + FirstLine(PQerrorMessage(conn));
    PQfinish(conn);
    return MakeError(ErrorCode::kUnavailable, std::move(message));
  }
  // Notices ("… does not exist, skipping") are not errors; keep them off the terminal.
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<Connection>(new Connection(conn));
}

Connection::~Connection() { PQfinish(conn_); }

Status Connection::Prepare(const char* name, const char* sql) {
  Reply reply = MakeReply(PQprepare(conn_, name, sql, 0, nullptr));
  if (!reply.ok()) {
    return MakeError(ErrorCode::kInternal, std::string("preparing ") + name + ": " + reply.error() +
                                               " (SQLSTATE " + reply.sqlstate() + ")");
  }
  return Ok();
}

Reply Connection::Run(const char* name, std::initializer_list<std::string_view> params) {
  BO_ASSERT(params.size() <= kParamsMax);
  // libpq wants NUL-terminated values; the views need not be.
  std::vector<std::string> copies(params.begin(), params.end());
  const char* values[kParamsMax];
  for (size_t i = 0; i < copies.size(); ++i) values[i] = copies[i].c_str();
  return MakeReply(
      PQexecPrepared(conn_, name, static_cast<int>(copies.size()), values, nullptr, nullptr, 0));
}

Reply Connection::RunOnce(const char* sql, std::initializer_list<std::string_view> params) {
  BO_ASSERT(params.size() <= kParamsMax);
  std::vector<std::string> copies(params.begin(), params.end());
  const char* values[kParamsMax];
  for (size_t i = 0; i < copies.size(); ++i) values[i] = copies[i].c_str();
  return MakeReply(PQexecParams(conn_, sql, static_cast<int>(copies.size()), nullptr, values,
                                nullptr, nullptr, 0));
}

Reply Connection::Exec(const char* sql) { return MakeReply(PQexec(conn_, sql)); }

bool Connection::broken() const { return failed_ || PQstatus(conn_) != CONNECTION_OK; }

bool Connection::IdleAlive() {
  if (broken()) return false;
  pollfd fd{PQsocket(conn_), POLLIN, 0};
  if (fd.fd < 0) return false;
  if (::poll(&fd, 1, 0) == 0) return true;  // nothing arrived: alive as far as can be told
  // This session neither listens nor has a query running, so the server sends it nothing
  // unless it is ending it ("terminating connection…", then a close).
  failed_ = true;
  return false;
}

Result<std::unique_ptr<Connection>> Connection::OpenPipelined(const std::string& url,
                                                              const PipelineOptions& options,
                                                              std::span<const Statement> warm) {
  BO_ASSERT(options.connect_timeout_s > 0 && options.round_trip_timeout_ms > 0);
  PGconn* raw = ConnectWithTimeouts(url, options.connect_timeout_s);
  if (raw == nullptr) return MakeError(ErrorCode::kUnavailable, "PostgreSQL: out of memory");
  std::unique_ptr<Connection> conn(new Connection(raw));
  if (PQstatus(raw) != CONNECTION_OK) {
    return MakeError(ErrorCode::kUnavailable,
                     "PostgreSQL at " + DescribeUrl(url) + ": " + FirstLine(PQerrorMessage(raw)));
  }
  PQsetNoticeProcessor(
      raw, [](void*, const char*) {}, nullptr);
  // Every statement is a short one that a generic plan serves as well as a custom one; left
  // to choose, the server plans a statement anew on each run whose custom plans look cheaper.
  //
  // Every statement finds its rows through an index (a primary key, or an index a migration
  // made for that read). But a generic plan made while a table was small (a new database, the
  // first minute of a sale) may read the whole table (a sequential scan, or a hash or merge
  // join over all its rows), and the connection keeps that plan as the table grows, until
  // the next ANALYZE of it: a payment's lookup of its idempotency key took 2.5 ms on 15,000
  // keys. With those plans off, the planner takes them only where no index serves.
  for (const char* setting :
       {"SET plan_cache_mode = force_generic_plan", "SET enable_seqscan = off",
        "SET enable_hashjoin = off", "SET enable_mergejoin = off"}) {
    PGresult* set = PQexec(raw, setting);
    const bool ok = PQresultStatus(set) == PGRES_COMMAND_OK;
    PQclear(set);
    if (!ok) {
      return MakeError(ErrorCode::kUnavailable, std::string("PostgreSQL: ") + setting + ": " +
                                                    FirstLine(PQerrorMessage(raw)));
    }
  }
  if (PQsetnonblocking(raw, 1) != 0 || PQenterPipelineMode(raw) != 1) {
    return MakeError(ErrorCode::kUnavailable,
                     "PostgreSQL: pipeline mode: " + FirstLine(PQerrorMessage(raw)));
  }
  conn->pipelined_ = true;
  conn->options_ = options;
  try {
    for (const Statement& statement : warm) conn->QueuePrepare(statement);
    (void)conn->RoundTrip();
  } catch (const PgError& e) {
    return MakeError(ErrorCode::kUnavailable, e.what());
  }
  return conn;
}

[[noreturn]] void Connection::Fail(const std::string& what) {
  failed_ = true;
  throw PgError(std::string(kConnectionFailure), what + ": " + FirstLine(PQerrorMessage(conn_)));
}

void Connection::Queue(const Statement& statement, std::initializer_list<Param> params) {
  BO_ASSERT(params.size() <= kParamsMax);
  const char* values[kParamsMax];
  size_t i = 0;
  for (const Param& p : params) values[i++] = p.c_str();
  QueueRaw(statement, values, static_cast<int>(params.size()));
}

void Connection::Queue(const Statement& statement, const std::vector<Param>& params) {
  BO_ASSERT(params.size() <= kParamsMax);
  const char* values[kParamsMax];
  for (size_t i = 0; i < params.size(); ++i) values[i] = params[i].c_str();
  QueueRaw(statement, values, static_cast<int>(params.size()));
}

void Connection::QueueRaw(const Statement& statement, const char* const* values, int count) {
  BO_ASSERT(pipelined_);
  if (broken()) Fail("the connection is lost");
  if (queued_.size() + 2 > options_.queued_statements_max) {
    throw PgError(std::string(kConnectionFailure), "too many statements queued");
  }
  QueuePrepare(statement);
  if (PQsendQueryPrepared(conn_, statement.name, count, values, nullptr, nullptr, 0) != 1) {
    Fail(std::string("sending ") + statement.name);
  }
  queued_.push_back(Queued{nullptr});
  ++statements_queued_;
}

void Connection::QueuePrepare(const Statement& statement) {
  if (!prepared_.insert(statement.name).second) return;
  if (PQsendPrepare(conn_, statement.name, statement.sql, 0, nullptr) != 1) {
    Fail(std::string("preparing ") + statement.name);
  }
  queued_.push_back(Queued{statement.name});
}

void Connection::Flush(std::int64_t deadline_ms) {
  for (;;) {
    const int pending = PQflush(conn_);
    if (pending == 0) return;
    if (pending < 0) Fail("sending");
    pollfd fd{PQsocket(conn_), POLLOUT | POLLIN, 0};
    const std::int64_t left_ms = deadline_ms - NowMs();
    if (left_ms <= 0) Fail("timed out sending");
    const int ready = ::poll(&fd, 1, static_cast<int>(left_ms));
    if (ready < 0 && errno != EINTR) Fail("poll");
    // Reading what arrived keeps the server from blocking on a full send buffer.
    if (ready > 0 && (fd.revents & POLLIN) && PQconsumeInput(conn_) != 1) Fail("receiving");
  }
}

PGresult* Connection::NextResult(std::int64_t deadline_ms) {
  while (PQisBusy(conn_)) {
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    const std::int64_t left_ms = deadline_ms - NowMs();
    if (left_ms <= 0) Fail("timed out waiting for PostgreSQL");
    const int ready = ::poll(&fd, 1, static_cast<int>(left_ms));
    if (ready < 0 && errno != EINTR) Fail("poll");
    if (ready > 0 && PQconsumeInput(conn_) != 1) Fail("receiving");
  }
  return PQgetResult(conn_);
}

std::vector<Reply> Connection::RoundTrip() {
  BO_ASSERT(pipelined_);
  if (broken()) Fail("the connection is lost");
  const std::int64_t deadline_ms = NowMs() + options_.round_trip_timeout_ms;
  if (PQpipelineSync(conn_) != 1) Fail("sending a sync");
  Flush(deadline_ms);
  std::vector<Reply> replies;
  replies.reserve(statements_queued_);
  std::vector<Queued> queued;
  queued.swap(queued_);
  statements_queued_ = 0;
  // A statement whose prepare failed is skipped; it reports the prepare's error instead.
  std::optional<Reply> prepare_failure;
  for (const Queued& q : queued) {
    PGresult* result = NextResult(deadline_ms);
    if (result == nullptr) Fail("PostgreSQL ended a reply early");
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_PIPELINE_SYNC) {
      PQclear(result);
      Fail("PostgreSQL ended a segment early");
    }
    // Every statement's result is followed by a null that ends it.
    if (NextResult(deadline_ms) != nullptr) {
      PQclear(result);
      Fail("PostgreSQL sent more than one result for a statement");
    }
    if (status == PGRES_PIPELINE_ABORTED) {
      PQclear(result);
      if (q.prepare_name != nullptr) {
        prepared_.erase(q.prepare_name);
      } else if (prepare_failure) {
        replies.push_back(std::move(*prepare_failure));
        prepare_failure.reset();
      } else {
        replies.push_back(Reply::Skipped());
      }
      continue;
    }
    Reply reply = MakeReply(result);
    if (q.prepare_name != nullptr) {
      if (!reply.ok()) {
        prepared_.erase(q.prepare_name);
        if (reply.sqlstate() == kConnectionFailure) Fail(reply.error());
        if (!prepare_failure) prepare_failure.emplace(std::move(reply));
      }
      continue;
    }
    if (reply.sqlstate() == kConnectionFailure) Fail(reply.error());
    replies.push_back(std::move(reply));
  }
  PGresult* sync = NextResult(deadline_ms);
  const bool synced = sync != nullptr && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  if (sync != nullptr) PQclear(sync);
  if (!synced) Fail("PostgreSQL did not end the segment");
  return replies;
}

Reply Connection::MakeReply(PGresult* result) {
  if (result == nullptr) {
    return Reply(nullptr, std::string(kConnectionFailure), FirstLine(PQerrorMessage(conn_)));
  }
  switch (PQresultStatus(result)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_EMPTY_QUERY:
      return Reply(result, "", "");
    default:
      break;
  }
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  std::string sqlstate = state != nullptr ? state : std::string(kConnectionFailure);
  std::string error = FirstLine(PQresultErrorMessage(result));
  PQclear(result);
  return Reply(nullptr, std::move(sqlstate), std::move(error));
}

std::string DescribeUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return "(a connection string)";
  std::string rest = url.substr(scheme + 3);
  const size_t at = rest.find('@');
  if (at != std::string::npos) rest = rest.substr(at + 1);
  const size_t query = rest.find('?');
  if (query != std::string::npos) rest.resize(query);
  return rest.empty() ? "(local socket)" : rest;
}

}  // namespace bo::pg

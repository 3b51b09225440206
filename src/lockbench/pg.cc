#include "lockbench/pg.h"

#include <charconv>
#include <utility>
#include <vector>

#include "common/assert.h"

namespace bo::lockbench::pg {
namespace {

// The values a statement may take; more is a programming error.
constexpr size_t kParamsMax = 16;

// libpq's messages end with a newline and may span lines; keep the first line.
std::string FirstLine(const char* message) {
  std::string text = message ? message : "";
  const size_t end = text.find('\n');
  if (end != std::string::npos) text.resize(end);
  return text.empty() ? "unknown error" : text;
}

}  // namespace

Reply::Reply(PGresult* result, std::string sqlstate, std::string error)
    : result_(result), sqlstate_(std::move(sqlstate)), error_(std::move(error)) {}

Reply::Reply(Reply&& other) noexcept
    : result_(std::exchange(other.result_, nullptr)),
      sqlstate_(std::move(other.sqlstate_)),
      error_(std::move(other.error_)) {}

Reply& Reply::operator=(Reply&& other) noexcept {
  if (this != &other) {
    if (result_ != nullptr) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
    sqlstate_ = std::move(other.sqlstate_);
    error_ = std::move(other.error_);
  }
  return *this;
}

Reply::~Reply() {
  if (result_ != nullptr) PQclear(result_);
}

int Reply::rows() const {
  BO_ASSERT(ok() && result_ != nullptr);
  return PQntuples(result_);
}

std::int64_t Reply::affected_rows() const {
  BO_ASSERT(ok() && result_ != nullptr);
  const char* text = PQcmdTuples(result_);
  std::int64_t n = 0;
  if (text != nullptr && *text != '\0') {
    const std::string_view view(text);
    const auto parsed = std::from_chars(view.data(), view.data() + view.size(), n);
    BO_ASSERT(parsed.ec == std::errc());
  }
  return n;
}

bool Reply::IsNull(int row, int column) const {
  BO_ASSERT(ok() && row >= 0 && row < rows() && column >= 0 && column < PQnfields(result_));
  return PQgetisnull(result_, row, column) != 0;
}

std::string Reply::Text(int row, int column) const {
  BO_ASSERT(!IsNull(row, column));
  return std::string(PQgetvalue(result_, row, column),
                     static_cast<size_t>(PQgetlength(result_, row, column)));
}

std::int64_t Reply::Int64(int row, int column) const {
  BO_ASSERT(!IsNull(row, column));
  const char* text = PQgetvalue(result_, row, column);
  const int length = PQgetlength(result_, row, column);
  std::int64_t value = 0;
  const auto parsed = std::from_chars(text, text + length, value);
  BO_ASSERT(parsed.ec == std::errc() && parsed.ptr == text + length);
  return value;
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
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

bool Connection::broken() const { return PQstatus(conn_) != CONNECTION_OK; }

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

}  // namespace bo::lockbench::pg

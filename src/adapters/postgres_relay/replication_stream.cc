#include "adapters/postgres_relay/replication_stream.h"

namespace bo::postgres_relay {
namespace {

constexpr const char* kSlotInUse = "55006";  // object_in_use: "replication slot … is active"

std::string FirstLine(const char* text) {
  std::string s = text != nullptr ? text : "";
  const size_t end = s.find('\n');
  return end == std::string::npos ? s : s.substr(0, end);
}

}  // namespace

ReplicationStream::StartOutcome ReplicationStream::Start(const std::string& url,
                                                         const std::string& slot,
                                                         const std::string& publication,
                                                         std::unique_ptr<ReplicationStream>* out,
                                                         std::string* error) {
  // The URI is expanded as the dbname and the replication keyword is added to it.
  // Keepalives, so that a silent network is noticed by this side too.
  const char* keys[] = {
      "dbname",          "replication", "application_name", "connect_timeout", "keepalives",
      "keepalives_idle", nullptr};
  const char* values[] = {url.c_str(), "database", "boxoffice-relay", "2", "1", "10", nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    *error = "out of memory";
    return StartOutcome::kFailed;
  }
  std::unique_ptr<ReplicationStream> stream(new ReplicationStream(conn));
  if (PQstatus(conn) != CONNECTION_OK) {
    *error = "replication connection: " + FirstLine(PQerrorMessage(conn));
    return StartOutcome::kFailed;
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  // Identifiers: the caller's slot and publication names are plain [a-z0-9_].
  const std::string command = "START_REPLICATION SLOT " + slot +
                              " LOGICAL 0/0 (proto_version '1', publication_names '" + publication +
                              "')";
  PGresult* result = PQexec(conn, command.c_str());
  const ExecStatusType status = PQresultStatus(result);
  if (status != PGRES_COPY_BOTH) {
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    const bool in_use = state != nullptr && std::string(state) == kSlotInUse;
    *error = "START_REPLICATION: " + FirstLine(PQresultErrorMessage(result));
    PQclear(result);
    return in_use ? StartOutcome::kSlotInUse : StartOutcome::kFailed;
  }
  PQclear(result);
  if (PQsetnonblocking(conn, 1) != 0) {
    *error = "replication connection: cannot go non-blocking";
    return StartOutcome::kFailed;
  }
  *out = std::move(stream);
  return StartOutcome::kStreaming;
}

ReplicationStream::~ReplicationStream() { PQfinish(conn_); }

int ReplicationStream::Read(const std::function<bool(std::string_view)>& on_message,
                            int messages_max, std::string* error) {
  if (PQconsumeInput(conn_) == 0) {
    *error = "replication stream: " + FirstLine(PQerrorMessage(conn_));
    return -1;
  }
  int handed = 0;
  while (handed < messages_max) {
    char* buffer = nullptr;
    const int length = PQgetCopyData(conn_, &buffer, /*async=*/1);
    if (length == 0) break;  // nothing more has arrived
    if (length < 0) {
      // -1: the server ended the stream; -2: an error. Either way the result says why.
      std::string why = FirstLine(PQerrorMessage(conn_));
      while (PGresult* r = PQgetResult(conn_)) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_COPY_BOTH) {
          why = FirstLine(PQresultErrorMessage(r));
        }
        PQclear(r);
      }
      *error = "replication stream ended: " + (why.empty() ? std::string("no reason") : why);
      return -1;
    }
    const bool more = on_message(std::string_view(buffer, static_cast<size_t>(length)));
    PQfreemem(buffer);
    ++handed;
    if (!more) break;
  }
  return handed;
}

bool ReplicationStream::Send(std::string_view copy_data, std::string* error) {
  if (PQputCopyData(conn_, copy_data.data(), static_cast<int>(copy_data.size())) != 1) {
    *error = "replication stream: " + FirstLine(PQerrorMessage(conn_));
    return false;
  }
  // Non-blocking: what does not fit in the socket now is sent by the next flush.
  if (PQflush(conn_) < 0) {
    *error = "replication stream: " + FirstLine(PQerrorMessage(conn_));
    return false;
  }
  return true;
}

}  // namespace bo::postgres_relay

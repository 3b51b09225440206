// One logical replication connection through libpq (replication=database): START_REPLICATION
// of a slot with the pgoutput plugin on a publication, then the CopyData messages of the
// stream read without blocking, and standby status updates sent back.
#pragma once

#include <libpq-fe.h>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace bo::postgres_relay {

class ReplicationStream {
 public:
  enum class StartOutcome { kStreaming, kSlotInUse, kFailed };

  // Connects to `url` (a libpq URI) as a walsender and starts streaming `slot` from its
  // confirmed position. Sets *error unless kStreaming; kSlotInUse when another session
  // streams the slot (SQLSTATE 55006). REQUIRES: slot and publication are plain identifiers.
  static StartOutcome Start(const std::string& url, const std::string& slot,
                            const std::string& publication, std::unique_ptr<ReplicationStream>* out,
                            std::string* error);
  ~ReplicationStream();
  ReplicationStream(const ReplicationStream&) = delete;
  ReplicationStream& operator=(const ReplicationStream&) = delete;

  int socket() const { return PQsocket(conn_); }

  // Takes what arrived and hands each CopyData message to `on_message` (which returns false to
  // stop), at most messages_max, without blocking. Returns how many were handed out, or -1
  // with *error when the stream failed or ended.
  int Read(const std::function<bool(std::string_view)>& on_message, int messages_max,
           std::string* error);

  // Sends one CopyData message (a status update). False with *error if it could not.
  bool Send(std::string_view copy_data, std::string* error);

 private:
  explicit ReplicationStream(PGconn* conn) : conn_(conn) {}
  PGconn* conn_;
};

}  // namespace bo::postgres_relay

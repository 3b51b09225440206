// Publishes the outbox to NATS JetStream, in seq order, on a thread of its own.
//
// Stream kStreamName takes the subjects "boxoffice.>"; each event goes to
// "boxoffice.<type>" as its JSON envelope with the header "Nats-Msg-Id: <event id>". The
// publisher's cursor is saved only after JetStream acknowledged every event up to it, so a
// crash publishes some events again and JetStream's duplicate window (duplicate_window_seconds)
// drops them. While NATS is unreachable nothing is lost and no sale waits: the events stay in
// the outbox, the client reconnects, and publishing resumes from the cursor.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "events/event_metrics.h"
#include "ports/clock.h"
#include "ports/event_delivery.h"

namespace bo::nats {

inline constexpr const char* kStreamName = "BOXOFFICE_EVENTS";
inline constexpr const char* kStreamSubjects = "boxoffice.>";
inline constexpr const char* kSubjectPrefix = "boxoffice.";

struct JetStreamPublisherOptions {
  std::string url;                     // nats://host:port
  int poll_interval_ms = 100;          // how often the outbox is read when idle
  int batch_events_max = 256;          // events published per cursor save
  int ack_timeout_ms = 5'000;          // per publish
  int retry_interval_ms = 1'000;       // after a failed connect or publish
  int duplicate_window_seconds = 600;  // of a stream this publisher creates
  int connect_timeout_ms = 2'000;
};

class JetStreamPublisher {
 public:
  // REQUIRES: every reference outlives the publisher.
  JetStreamPublisher(EventDelivery& delivery, const Clock& clock, EventMetrics& metrics,
                     JetStreamPublisherOptions options);
  ~JetStreamPublisher();  // Stop()s

  // Starts the thread. REQUIRES: not started before.
  void Start();
  // Stops the thread and closes the connection. Idempotent.
  void Stop();

 private:
  struct Connection;

  void Run();
  // Connects and makes sure the stream exists; false (logged) if it could not.
  bool Connect(Connection& c);
  // Publishes the events after the cursor, at most one batch; returns how many were
  // acknowledged, or -1 on a failure (logged).
  int PublishBatch(Connection& c);
  // Waits up to `ms` unless stopped; returns false when stopping.
  bool Sleep(int ms);

  EventDelivery& delivery_;
  const Clock& clock_;
  EventMetrics& metrics_;
  const JetStreamPublisherOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  std::int64_t cursor_ = 0;  // owned by the thread
};

}  // namespace bo::nats

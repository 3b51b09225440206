// Publishes the outbox to NATS JetStream, in the order of its source, on a thread of its own.
// The source (ports/outbox_source.h) is the outbox table on the embedded store, and the
// logical replication stream of the PostgreSQL outbox on the scale-out shape.
//
// Stream kStreamName takes the subjects "boxoffice.>"; each event goes to
// "boxoffice.<type>" as its JSON envelope with the header "Nats-Msg-Id: <event id>".
//
// Events are published asynchronously, up to window_events_max unacknowledged at once
// (PublishWindow); the position advances only over the longest prefix of acknowledged events
// and is saved to the source at most every cursor_save_interval_ms while events are in flight. When
// the first unacknowledged event fails or goes unanswered for ack_timeout_ms, the window restarts
// from it: the events behind it are published again and JetStream's duplicate window
// (duplicate_window_seconds) drops those it already has. A crash likewise publishes again what
// follows the saved position. While NATS is unreachable nothing is lost and no sale waits: the
// events stay in the outbox, the client reconnects, and publishing resumes from the position.
// When the source starts a new generation, what is in flight is dropped and publishing resumes
// from the source's position.
//
// The publisher reads the source when Wake() is called (events were committed or streamed),
// when answers free room in the window, and every poll_interval_ms otherwise.
#pragma once

#include <nats/nats.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "events/event_metrics.h"
#include "events/publish_window.h"
#include "ports/clock.h"
#include "ports/outbox_source.h"

namespace bo::nats {

inline constexpr const char* kStreamName = "BOXOFFICE_EVENTS";
inline constexpr const char* kStreamSubjects = "boxoffice.>";
inline constexpr const char* kSubjectPrefix = "boxoffice.";
inline constexpr const char* kMsgIdHeader = "Nats-Msg-Id";

struct JetStreamPublisherOptions {
  std::string url;                     // nats://host:port
  int poll_interval_ms = 1'000;        // how often the outbox is read when nothing wakes it
  int batch_events_max = 256;          // events read from the outbox at once
  int window_events_max = 1'024;       // events published and not yet acknowledged, at most
  int ack_timeout_ms = 5'000;          // per publish; then the window restarts from it
  int cursor_save_interval_ms = 20;    // while events are in flight, saves at most this often
  int retry_interval_ms = 1'000;       // after a failed connect or a window restart
  int duplicate_window_seconds = 600;  // of a stream this publisher creates
  int connect_timeout_ms = 2'000;
};

class JetStreamPublisher {
 public:
  // REQUIRES: every reference outlives the publisher; every limit > 0.
  JetStreamPublisher(OutboxSource& source, const Clock& clock, EventMetrics& metrics,
                     JetStreamPublisherOptions options);
  ~JetStreamPublisher();  // Stop()s

  // Starts the thread. REQUIRES: not started before.
  void Start();
  // Makes the publisher read the outbox now (new events were committed). Any thread; cheap.
  void Wake();
  // Stops the thread (saving the cursor it reached) and closes the connection. Idempotent.
  void Stop();

 private:
  struct Connection;
  // JetStream's answer to one asynchronous publish, as the ack handler saw it.
  struct Answer {
    std::string event_id;
    bool acknowledged = false;
    bool duplicate = false;
    std::string error;  // when not acknowledged
  };

  void Run();
  // Connects and makes sure the stream exists; false (logged) if it could not.
  bool Connect(Connection& c);
  // One turn: records answers, advances the cursor, restarts or fills the window. Returns
  // the time to wait for (0 when there is more to do at once).
  int Turn(Connection& c);
  void RecordAnswers();
  // Publishes outbox events after read_seq_ while the window has room; false if a publish
  // could not be sent (logged; the window then restarts from it).
  bool Fill(Connection& c, UnixMs now_ms);
  // Takes back what is still in flight and resumes from the first unacknowledged event.
  void Restart(Connection& c);
  // Drops what is in flight and resumes from the source's position in its generation in force.
  void StartOver(Connection& c);
  void SaveCursor(UnixMs now_ms);
  // Waits up to `ms` for an answer, a wake-up while the window has room, or the stop;
  // returns false when stopping.
  bool Wait(int ms);

  static void OnAnswer(jsCtx* js, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure);

  OutboxSource& source_;
  const Clock& clock_;
  EventMetrics& metrics_;
  const JetStreamPublisherOptions options_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;           // Wake() was called since the outbox was last read
  bool window_has_room_ = true;  // written by the thread: whether a wake-up is worth waking for
  std::vector<Answer> answers_;  // from the ack handler, for the thread to record
  std::thread thread_;

  // Owned by the thread.
  PublishWindow window_;
  std::uint64_t generation_ = 0;  // of the source, that the positions below belong to
  std::int64_t acked_seq_ = 0;    // the end of the acknowledged prefix
  std::int64_t saved_seq_ = 0;    // the cursor in the store
  std::int64_t read_seq_ = 0;     // the last seq published
  UnixMs saved_at_ms_ = 0;
  std::vector<Answer> answers_taken_;
};

}  // namespace bo::nats

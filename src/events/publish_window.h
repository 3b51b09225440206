// The events a publisher has sent and not yet passed with its cursor, in outbox order.
//
// A publisher sends up to events_max events without waiting for their acknowledgments, then
// records each answer as it comes (in any order). The cursor may advance only over the
// longest prefix of acknowledged events: an event behind an unanswered or failed one is not
// passed, so a crash or a restart publishes it again (the receiver drops the repeat by id).
// When the first event of the window failed or went unanswered for the ack timeout, the
// window restarts: it is cleared and publishing resumes from that event.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/time.h"

namespace bo {

enum class AckState : std::uint8_t { kPending, kAcknowledged, kFailed };

struct WindowEvent {
  std::int64_t seq = 0;
  std::string id;
  UnixMs time_ms = 0;          // when the event became true (its commit)
  UnixMs published_at_ms = 0;  // when it was last sent
  AckState state = AckState::kPending;
};

enum class AckRecord : std::uint8_t {
  kNewlyAcknowledged,  // the first acknowledgment of an event in the window
  kRecorded,           // a failure, or a repeated answer: nothing new
  kUnknown,            // not in the window: already passed, or sent before a restart
};

class PublishWindow {
 public:
  // REQUIRES: events_max > 0.
  explicit PublishWindow(int events_max);

  std::size_t size() const { return events_.size(); }
  bool empty() const { return events_.empty(); }
  bool full() const { return events_.size() >= events_max_; }
  // Whether some event in the window failed: nothing more is sent until the restart.
  bool has_failure() const { return failures_ > 0; }

  // REQUIRES: !full(), event.seq greater than every seq added since the last Clear(), an id
  // not in the window, state kPending.
  void Add(WindowEvent event);

  // Records JetStream's answer for the event `id`. An acknowledgment wins over a failure
  // (answers of an earlier send of the same event may arrive late: an acknowledged event is
  // stored, whichever send it was).
  // On kNewlyAcknowledged, sets *event_time_ms (if given) to the event's time_ms.
  AckRecord Record(std::string_view id, bool acknowledged, UnixMs* event_time_ms = nullptr);

  // Removes the longest prefix of acknowledged events and returns the seq of its last event,
  // or nullopt if the first event is not acknowledged.
  std::optional<std::int64_t> TakeAcknowledgedPrefix();

  // Whether publishing must restart from the first event: it failed, or it was sent at or
  // before now_ms - ack_timeout_ms without an answer. REQUIRES: ack_timeout_ms > 0.
  bool MustRestart(UnixMs now_ms, int ack_timeout_ms) const;
  // When the first event times out; nullopt if the window is empty.
  std::optional<UnixMs> AckDeadlineMs(int ack_timeout_ms) const;

  // Forgets every event (answers still to come are then kUnknown).
  void Clear();

 private:
  const std::size_t events_max_;
  std::deque<WindowEvent> events_;
  std::unordered_map<std::string, std::int64_t> seq_by_id_;
  int failures_ = 0;  // events in the window in state kFailed
};

}  // namespace bo

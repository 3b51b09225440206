#include "events/publish_window.h"

#include <algorithm>

#include "common/assert.h"

namespace bo {

PublishWindow::PublishWindow(int events_max) : events_max_(static_cast<std::size_t>(events_max)) {
  BO_ASSERT(events_max > 0);
}

void PublishWindow::Add(WindowEvent event) {
  BO_ASSERT(!full());
  BO_ASSERT(events_.empty() || event.seq > events_.back().seq);
  BO_ASSERT(event.state == AckState::kPending);
  const bool inserted = seq_by_id_.emplace(event.id, event.seq).second;
  BO_ASSERT(inserted);
  events_.push_back(std::move(event));
}

AckRecord PublishWindow::Record(std::string_view id, bool acknowledged, UnixMs* event_time_ms) {
  const auto found = seq_by_id_.find(std::string(id));
  if (found == seq_by_id_.end()) return AckRecord::kUnknown;
  const auto at =
      std::lower_bound(events_.begin(), events_.end(), found->second,
                       [](const WindowEvent& e, std::int64_t seq) { return e.seq < seq; });
  BO_ASSERT(at != events_.end() && at->seq == found->second);
  if (at->state == AckState::kAcknowledged) return AckRecord::kRecorded;
  if (acknowledged) {
    if (at->state == AckState::kFailed) --failures_;
    at->state = AckState::kAcknowledged;
    if (event_time_ms != nullptr) *event_time_ms = at->time_ms;
    return AckRecord::kNewlyAcknowledged;
  }
  if (at->state == AckState::kPending) ++failures_;
  at->state = AckState::kFailed;
  return AckRecord::kRecorded;
}

std::optional<std::int64_t> PublishWindow::TakeAcknowledgedPrefix() {
  std::optional<std::int64_t> last;
  while (!events_.empty() && events_.front().state == AckState::kAcknowledged) {
    last = events_.front().seq;
    seq_by_id_.erase(events_.front().id);
    events_.pop_front();
  }
  BO_ASSERT(seq_by_id_.size() == events_.size() && failures_ >= 0);
  return last;
}

bool PublishWindow::MustRestart(UnixMs now_ms, int ack_timeout_ms) const {
  BO_ASSERT(ack_timeout_ms > 0);
  if (events_.empty()) return false;
  const WindowEvent& first = events_.front();
  if (first.state == AckState::kFailed) return true;
  return first.state == AckState::kPending && now_ms >= first.published_at_ms + ack_timeout_ms;
}

std::optional<UnixMs> PublishWindow::AckDeadlineMs(int ack_timeout_ms) const {
  if (events_.empty()) return std::nullopt;
  return events_.front().published_at_ms + ack_timeout_ms;
}

void PublishWindow::Clear() {
  events_.clear();
  seq_by_id_.clear();
  failures_ = 0;
}

}  // namespace bo

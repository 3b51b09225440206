// Told by a store after a commit that appended outbox events, so that the consumers of the
// outbox read it at once instead of at their next poll.
//
// A signal may be spurious (a job that appended an event and was then rolled back) and
// several commits may be told as one: consumers read whatever is there, so neither matters.
#pragma once

namespace bo {

class OutboxSignal {
 public:
  virtual ~OutboxSignal() = default;
  // Called on the store's writer thread right after the commit; must return at once.
  virtual void EventsCommitted() noexcept = 0;
};

}  // namespace bo

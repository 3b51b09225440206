// The OutboxSignal of one process: passes every signal on to each consumer of the outbox
// that subscribed (the NATS publisher, the webhook dispatcher), so that a committed event is
// read at once. Consumers still poll, at a longer interval, for what a signal cannot tell
// (another process's commits, webhook retries falling due).
#pragma once

#include <functional>
#include <mutex>
#include <vector>

#include "ports/outbox_signal.h"

namespace bo {

class OutboxWakeups final : public OutboxSignal {
 public:
  static constexpr int kSubscribersMax = 8;

  // `wake` is called on the committing thread and must return at once, without throwing.
  // REQUIRES: fewer than kSubscribersMax subscribed; `wake` callable until Clear() or the
  // destruction of this.
  void Subscribe(std::function<void()> wake);

  // Drops every subscriber; signals after it wake no one. Call it before a subscriber goes.
  void Clear();

  void EventsCommitted() noexcept override;

 private:
  std::mutex mu_;
  std::vector<std::function<void()>> wakes_;
};

}  // namespace bo

#include "events/outbox_wakeups.h"

#include "common/assert.h"

namespace bo {

void OutboxWakeups::Subscribe(std::function<void()> wake) {
  BO_ASSERT(wake);
  std::lock_guard lock(mu_);
  BO_ASSERT(wakes_.size() < kSubscribersMax);
  wakes_.push_back(std::move(wake));
}

void OutboxWakeups::Clear() {
  std::lock_guard lock(mu_);
  wakes_.clear();
}

void OutboxWakeups::EventsCommitted() noexcept {
  std::lock_guard lock(mu_);
  for (const auto& wake : wakes_) wake();
}

}  // namespace bo

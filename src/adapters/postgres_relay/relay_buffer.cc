#include "adapters/postgres_relay/relay_buffer.h"

#include <algorithm>

#include "common/assert.h"

namespace bo::postgres_relay {

RelayBuffer::RelayBuffer(bool publishing, std::size_t events_max, std::function<void()> on_saved)
    : publishing_(publishing), events_max_(events_max), on_saved_(std::move(on_saved)) {
  BO_ASSERT(events_max_ > 0);
}

void RelayBuffer::Reset() {
  std::lock_guard lock(mu_);
  ++generation_;
  published_position_ = fanned_position_ = last_position_;
  last_end_lsn_ = 0;
  events_.clear();
  transactions_.clear();
  position_by_id_.clear();
}

void RelayBuffer::Append(const pg::DecodedTransaction& t) {
  std::lock_guard lock(mu_);
  if (t.end_lsn <= last_end_lsn_) return;
  last_end_lsn_ = t.end_lsn;
  // An empty transaction needs what came before it; positions only grow, so the last one.
  std::int64_t needs = last_position_;
  for (const auto& e : t.events) {
    const auto [found, inserted] = position_by_id_.try_emplace(e.event.id, last_position_ + 1);
    if (inserted) {
      ++last_position_;
      events_.push_back(BufferedEvent{last_position_, t.end_lsn, e});
    }
    needs = std::max(needs, found->second);
  }
  transactions_.push_back(Transaction{t.end_lsn, needs});
}

bool RelayBuffer::full() const {
  std::lock_guard lock(mu_);
  return events_.size() >= events_max_;
}

std::size_t RelayBuffer::events() const {
  std::lock_guard lock(mu_);
  return events_.size();
}

bool RelayBuffer::idle() const {
  std::lock_guard lock(mu_);
  return events_.empty() && transactions_.empty();
}

std::vector<BufferedEvent> RelayBuffer::ToFanOut(std::size_t limit) const {
  std::lock_guard lock(mu_);
  std::vector<BufferedEvent> out;
  auto it = std::upper_bound(
      events_.begin(), events_.end(), fanned_position_,
      [](std::int64_t position, const BufferedEvent& e) { return position < e.position; });
  for (; it != events_.end() && out.size() < limit; ++it) out.push_back(*it);
  return out;
}

void RelayBuffer::FannedOut(std::int64_t position) {
  std::lock_guard lock(mu_);
  fanned_position_ = std::max(fanned_position_, position);
}

std::int64_t RelayBuffer::PassedLocked() const {
  return publishing_ ? std::min(published_position_, fanned_position_) : fanned_position_;
}

pg::Lsn RelayBuffer::TakePassed(std::vector<BufferedEvent>* events, std::size_t events_max) {
  BO_ASSERT(events_max > 0);
  std::lock_guard lock(mu_);
  std::int64_t passed = PassedLocked();
  if (events_.size() > events_max && events_[events_max - 1].position < passed) {
    passed = events_[events_max - 1].position;
  }
  pg::Lsn confirmed = 0;
  while (!transactions_.empty() && transactions_.front().needs_position <= passed) {
    confirmed = transactions_.front().end_lsn;
    transactions_.pop_front();
  }
  while (!events_.empty() && events_.front().position <= passed) {
    position_by_id_.erase(events_.front().event.event.id);
    events->push_back(std::move(events_.front()));
    events_.pop_front();
  }
  return confirmed;
}

std::uint64_t RelayBuffer::Generation() {
  std::lock_guard lock(mu_);
  return generation_;
}

std::int64_t RelayBuffer::LoadPosition() {
  std::lock_guard lock(mu_);
  return published_position_;
}

std::vector<OutboxEvent> RelayBuffer::Read(std::uint64_t generation, std::int64_t after,
                                           int limit) {
  BO_ASSERT(limit > 0);
  std::lock_guard lock(mu_);
  std::vector<OutboxEvent> out;
  if (generation != generation_) return out;
  auto it = std::upper_bound(
      events_.begin(), events_.end(), after,
      [](std::int64_t position, const BufferedEvent& e) { return position < e.position; });
  for (; it != events_.end() && static_cast<int>(out.size()) < limit; ++it) {
    OutboxEvent e = it->event;
    e.seq = it->position;
    out.push_back(std::move(e));
  }
  return out;
}

void RelayBuffer::SavePosition(std::uint64_t generation, std::int64_t position) {
  {
    std::lock_guard lock(mu_);
    if (generation != generation_ || position <= published_position_) return;
    published_position_ = position;
  }
  if (on_saved_) on_saved_();
}

}  // namespace bo::postgres_relay

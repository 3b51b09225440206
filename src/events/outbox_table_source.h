// The outbox table read in seq order as a publisher's source, with the position saved as the
// cursor of one consumer. Right where seq order is commit order: the embedded store, whose one
// writer commits in seq order. Its generation never changes.
#pragma once

#include <string>

#include "ports/event_delivery.h"
#include "ports/outbox_source.h"

namespace bo {

class OutboxTableSource final : public OutboxSource {
 public:
  // REQUIRES: `delivery` outlives this.
  OutboxTableSource(EventDelivery& delivery, std::string consumer)
      : delivery_(delivery), consumer_(std::move(consumer)) {}

  std::uint64_t Generation() override { return 0; }
  std::int64_t LoadPosition() override { return delivery_.LoadCursor(consumer_); }
  std::vector<OutboxEvent> Read(std::uint64_t, std::int64_t after, int limit) override {
    return delivery_.ReadOutbox(after, limit);
  }
  void SavePosition(std::uint64_t, std::int64_t position) override {
    delivery_.SaveCursor(consumer_, position);
  }

 private:
  EventDelivery& delivery_;
  const std::string consumer_;
};

}  // namespace bo

// The ports of event delivery: the durable state of delivering the outbox to its consumers.
//
// WebhookDeliveries holds the webhook endpoints and their deliveries: a delivery row per event
// and matching endpoint, attempted when due, each attempt recorded. It is all the HTTP routes
// and the attempts need, on either store.
//
// EventDelivery adds the outbox read in seq order, for a store whose seq order is its commit
// order (the embedded store, with its single writer). Each consumer (the NATS publisher, the
// webhook fan-out) keeps a cursor: the last seq it has made durable elsewhere. The fan-out
// inserts a delivery row per matching endpoint and saves its cursor in the same transaction.
// Rows behind every cursor, and behind every pending webhook delivery, are pruned. (On
// PostgreSQL, where concurrent writers commit out of seq order, the outbox is read from the
// logical replication stream instead: adapters/postgres_relay.)
//
// Implementations are thread-safe; every call is one short transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "domain/event.h"

namespace bo {

struct OutboxEvent {
  std::int64_t seq = 0;  // the commit order of the outbox
  Event event;
};

struct OutboxState {
  std::int64_t last_seq = 0;  // of the newest row, 0 if there is none
  std::int64_t rows = 0;      // rows not yet pruned
};

inline constexpr const char* kConsumerWebhooks = "webhooks";
inline constexpr const char* kConsumerNats = "nats";

struct WebhookEndpoint {
  std::string id;
  std::string url;
  std::vector<std::string> event_types;  // or the one entry "*"
  std::string secret;                    // whsec_<base64>
  UnixMs created_at_ms = 0;
  UnixMs disabled_at_ms = 0;  // 0: enabled

  bool Wants(std::string_view type) const {
    for (const auto& t : event_types) {
      if (t == "*" || t == type) return true;
    }
    return false;
  }
};

struct WebhookDelivery {
  std::string endpoint_id;
  std::string event_id;
  std::int64_t event_seq = 0;
  std::string type;
  UnixMs created_at_ms = 0;
  int attempts = 0;
  UnixMs next_attempt_at_ms = 0;  // 0: not pending (delivered or given up)
  int last_status = -1;           // -1: never attempted; 0: no answer; else the HTTP status
  UnixMs delivered_at_ms = 0;     // 0: not delivered
};

// A pending delivery with what it takes to attempt it.
struct DueDelivery {
  WebhookDelivery delivery;
  std::string url;
  std::string secret;
  UnixMs event_time_ms = 0;
  std::string data_json;
};

// The outcome of one attempt. Exactly one of delivered_at_ms and next_attempt_at_ms is set
// unless the delivery is given up (neither).
struct DeliveryAttempt {
  std::string endpoint_id;
  std::string event_id;
  int status = 0;  // 0: no answer
  UnixMs delivered_at_ms = 0;
  UnixMs next_attempt_at_ms = 0;
};

class WebhookDeliveries {
 public:
  virtual ~WebhookDeliveries() = default;

  virtual void InsertEndpoint(const WebhookEndpoint& endpoint) = 0;
  // In id order, at most `limit`.
  virtual std::vector<WebhookEndpoint> ListEndpoints(int limit) = 0;
  virtual std::optional<WebhookEndpoint> FindEndpoint(std::string_view id) = 0;
  // Deletes the endpoint and its deliveries. Returns whether it existed.
  virtual bool DeleteEndpoint(std::string_view id) = 0;
  // Disables the endpoint and gives up its pending deliveries.
  virtual void DisableEndpoint(std::string_view id, UnixMs now_ms) = 0;

  // Pending deliveries to `endpoint_id` (if it is enabled) with next_attempt_at_ms <= now_ms,
  // earliest first, at most `limit`. A store that claims (ClaimsDue()) also claims them for a
  // while, so that another process does not attempt them at the same time, and returns none
  // claimed before; otherwise an attempt under way is still due and returned again.
  // REQUIRES: limit > 0.
  virtual std::vector<DueDelivery> DueDeliveries(std::string_view endpoint_id, UnixMs now_ms,
                                                 int limit) = 0;
  virtual bool ClaimsDue() const { return false; }
  virtual void RecordAttempt(const DeliveryAttempt& attempt) = 0;
  // The endpoint's deliveries, newest event first, at most `limit`.
  virtual std::vector<WebhookDelivery> ListDeliveries(std::string_view endpoint_id, int limit) = 0;
  // Deletes deliveries no longer pending created before `before_ms`, at most `limit`.
  virtual int PruneDeliveries(UnixMs before_ms, int limit) = 0;
};

class EventDelivery : public WebhookDeliveries {
 public:
  // Outbox rows with seq > after_seq in seq order, at most `limit`. REQUIRES: limit > 0.
  virtual std::vector<OutboxEvent> ReadOutbox(std::int64_t after_seq, int limit) = 0;
  virtual OutboxState Outbox() = 0;
  // 0 for a consumer that never saved one.
  virtual std::int64_t LoadCursor(std::string_view consumer) = 0;
  // REQUIRES: seq >= the consumer's saved cursor.
  virtual void SaveCursor(std::string_view consumer, std::int64_t seq) = 0;
  // Deletes rows with seq <= through_seq, oldest first, at most `limit`, and records the
  // pruned range. Returns how many.
  virtual int PruneOutbox(std::int64_t through_seq, int limit) = 0;

  // Inserts `deliveries` (skipping any that exist) and saves `consumer`'s cursor at
  // `through_seq`, in one transaction.
  virtual void FanOut(const std::vector<WebhookDelivery>& deliveries, std::string_view consumer,
                      std::int64_t through_seq) = 0;
  // The smallest event_seq of a pending delivery, or nullopt if none is pending.
  virtual std::optional<std::int64_t> OldestPendingSeq() = 0;
};

}  // namespace bo

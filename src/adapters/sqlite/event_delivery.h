// The EventDelivery port over the embedded store's SQLite file, on a connection of its own.
// Its transactions are short and few (a fan-out per outbox batch, a row per attempt), so they
// share the file's single write lock with the store's writer without holding it up.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "adapters/sqlite/db.h"
#include "ports/event_delivery.h"

namespace bo::sqlite {

class SqliteEventDelivery final : public EventDelivery {
 public:
  // Opens the database at `path`. REQUIRES: its migrations are applied (SqliteStore does it).
  // Throws SqliteError.
  explicit SqliteEventDelivery(const std::string& path);

  std::vector<OutboxEvent> ReadOutbox(std::int64_t after_seq, int limit) override;
  OutboxState Outbox() override;
  std::int64_t LoadCursor(std::string_view consumer) override;
  void SaveCursor(std::string_view consumer, std::int64_t seq) override;
  int PruneOutbox(std::int64_t through_seq, int limit) override;

  void InsertEndpoint(const WebhookEndpoint& endpoint) override;
  std::vector<WebhookEndpoint> ListEndpoints(int limit) override;
  std::optional<WebhookEndpoint> FindEndpoint(std::string_view id) override;
  bool DeleteEndpoint(std::string_view id) override;
  void DisableEndpoint(std::string_view id, UnixMs now_ms) override;

  void FanOut(const std::vector<WebhookDelivery>& deliveries, std::string_view consumer,
              std::int64_t through_seq) override;
  std::vector<DueDelivery> DueDeliveries(std::string_view endpoint_id, UnixMs now_ms,
                                         int limit) override;
  void RecordAttempt(const DeliveryAttempt& attempt) override;
  std::vector<WebhookDelivery> ListDeliveries(std::string_view endpoint_id, int limit) override;
  std::optional<std::int64_t> OldestPendingSeq() override;
  int PruneDeliveries(UnixMs before_ms, int limit) override;

 private:
  // Runs `body` between BEGIN IMMEDIATE and COMMIT, rolling back if it throws.
  template <class F>
  void InTransaction(F&& body);
  void SaveCursorLocked(std::string_view consumer, std::int64_t seq);

  std::mutex mu_;  // one statement or transaction at a time on db_
  std::unique_ptr<Db> db_;
};

}  // namespace bo::sqlite

// The real stores the contract tests run against, behind one factory, so that the same tests
// hold both adapters to the same contract: SQLite in a temporary directory, and PostgreSQL in a
// fresh database of the test process's throwaway server (fakes/postgres_server.h).
#pragma once

#include <memory>
#include <string>

#include "adapters/postgres/postgres_store.h"
#include "ports/event_delivery.h"
#include "ports/store.h"

namespace bo::testing {

enum class StoreKind { kSqlite, kPostgres };

// The claim lease of the PostgreSQL webhook adapters NewWebhookDeliveries makes.
inline constexpr std::int64_t kWebhookClaimLeaseMs = 60'000;

std::string StoreKindName(StoreKind kind);

class StoreUnderTest {
 public:
  virtual ~StoreUnderTest() = default;

  virtual Store& store() = 0;
  // Closes the store and opens the same database again.
  virtual void Reopen() = 0;
  // Runs `sql` outside the store, as an operator's damage would. Throws on failure.
  virtual void ExecRaw(const std::string& sql) = 0;
  // A new WebhookDeliveries adapter on the same database, as one more instance would open.
  virtual std::unique_ptr<WebhookDeliveries> NewWebhookDeliveries() = 0;
};

// A store of `kind` on an empty database; nullptr when `kind` cannot run here (no PostgreSQL
// installed). `postgres` tunes the PostgreSQL store (its url is filled in).
std::unique_ptr<StoreUnderTest> MakeStoreUnderTest(
    StoreKind kind, postgres::PostgresOptions postgres = postgres::PostgresOptions{});

}  // namespace bo::testing

#include "fakes/store_under_test.h"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>

#include "adapters/postgres/connection.h"
#include "adapters/postgres/event_delivery.h"
#include "adapters/sqlite/db.h"
#include "adapters/sqlite/event_delivery.h"
#include "adapters/sqlite/sqlite_store.h"
#include "fakes/postgres_server.h"

namespace bo::testing {
namespace {

class SqliteUnderTest final : public StoreUnderTest {
 public:
  SqliteUnderTest() {
    char tmpl[] = "/tmp/boxoffice-store-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    Open();
  }
  ~SqliteUnderTest() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  Store& store() override { return *store_; }
  void Reopen() override {
    store_.reset();
    Open();
  }
  void ExecRaw(const std::string& sql) override {
    sqlite::Db raw(dir_ + "/boxoffice.db", /*read_only=*/false);
    raw.Exec(sql.c_str());
  }
  std::unique_ptr<WebhookDeliveries> NewWebhookDeliveries() override {
    return std::make_unique<sqlite::SqliteEventDelivery>(dir_ + "/boxoffice.db");
  }

 private:
  void Open() {
    store_ = std::make_unique<sqlite::SqliteStore>(sqlite::SqliteOptions{dir_ + "/boxoffice.db"});
  }
  std::string dir_;
  std::unique_ptr<sqlite::SqliteStore> store_;
};

class PostgresUnderTest final : public StoreUnderTest {
 public:
  explicit PostgresUnderTest(postgres::PostgresOptions options) : options_(std::move(options)) {
    Open();
  }
  Store& store() override { return *store_; }
  void Reopen() override {
    store_.reset();
    Open();
  }
  void ExecRaw(const std::string& sql) override {
    auto conn = pg::Connection::Open(options_.url);
    if (!conn.ok()) throw std::runtime_error(conn.error().detail);
    (*conn)->Exec(sql.c_str()).Check("raw SQL");
  }
  std::unique_ptr<WebhookDeliveries> NewWebhookDeliveries() override {
    return std::make_unique<postgres::PgWebhookDeliveries>(
        postgres::PgWebhookDeliveriesOptions{options_.url, kWebhookClaimLeaseMs});
  }

 private:
  void Open() { store_ = std::make_unique<postgres::PostgresStore>(options_); }
  postgres::PostgresOptions options_;
  std::unique_ptr<postgres::PostgresStore> store_;
};

}  // namespace

std::string StoreKindName(StoreKind kind) {
  return kind == StoreKind::kSqlite ? "Sqlite" : "Postgres";
}

std::unique_ptr<StoreUnderTest> MakeStoreUnderTest(StoreKind kind,
                                                   postgres::PostgresOptions postgres) {
  if (kind == StoreKind::kSqlite) return std::make_unique<SqliteUnderTest>();
  PostgresServerProcess* server = PostgresServerProcess::Shared();
  if (server == nullptr) return nullptr;
  postgres.url = server->CreateDatabase();
  if (postgres.url.empty()) return nullptr;
  return std::make_unique<PostgresUnderTest>(std::move(postgres));
}

}  // namespace bo::testing

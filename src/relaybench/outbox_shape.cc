#include "relaybench/outbox_shape.h"

#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "adapters/postgres/postgres_store.h"
#include "adapters/postgres_relay/outbox_relay.h"
#include "adapters/sqlite/event_delivery.h"
#include "adapters/sqlite/sqlite_store.h"
#include "events/outbox_table_source.h"
#include "events/outbox_wakeups.h"
#include "events/webhook_dispatcher.h"
#include "ports/random.h"

namespace bo::relaybench {
namespace {

// The data of a payment.completed event with one ticket, as the API encodes it.
constexpr const char* kPaymentJson =
    R"({"id":"pay_0194c3a1f0800001","reservationId":"rsv_0194c3a1d4400000","userId":"usr_1",)"
    R"("method":"POINTS","amount":30000,"status":"PAID","createdAt":"2026-05-01T10:01:02.500Z",)"
    R"("tickets":[{"id":"tkt_0194c3a1f0800002","reservationId":"rsv_0194c3a1d4400000",)"
    R"("scheduleId":"sch_1","seatId":"seat_1","ticketTypeId":null,)"
    R"("code":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",)"
    R"("status":"VALID"}]})";
constexpr int kRelayActiveWaitMs = 30'000;

// A store and its event delivery on one temporary file; the webhook fan-out woken by commits.
class SqliteShape final : public OutboxShape {
 public:
  SqliteShape()
      : dir_(MakeDir()),
        store_(Options(dir_ + "/relay.db", wakeups_)),
        delivery_(dir_ + "/relay.db"),
        publisher_delivery_(dir_ + "/relay.db"),
        source_(publisher_delivery_, kConsumerNats) {}
  ~SqliteShape() override {
    wakeups_.Clear();
    store_.Close();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  const char* name() const override { return "SQLite outbox table"; }
  OutboxSource& source() override { return source_; }
  void StartConsumers(std::function<void()> wake_publisher) override {
    delivery_.SaveCursor(kConsumerWebhooks, delivery_.Outbox().last_seq);
    webhooks_ = std::make_unique<WebhookDispatcher>(delivery_, &delivery_, clock_, random_,
                                                    *metrics_, WebhookDispatcherOptions{});
    wakeups_.Subscribe([w = webhooks_.get()] { w->Wake(); });
    wakeups_.Subscribe(std::move(wake_publisher));
    webhooks_->Start();
  }
  void StopConsumers() override {
    wakeups_.Clear();
    if (webhooks_) webhooks_->Stop();
    webhooks_.reset();
  }
  void set_metrics(EventMetrics& metrics) { metrics_ = &metrics; }

 protected:
  Store& store() override { return store_; }

 private:
  static std::string MakeDir() {
    char tmpl[] = "/tmp/boxoffice-relay-XXXXXX";
    const char* dir = ::mkdtemp(tmpl);
    if (dir == nullptr) throw std::runtime_error("cannot make a temporary directory");
    return dir;
  }
  static sqlite::SqliteOptions Options(const std::string& path, OutboxSignal& signal) {
    sqlite::SqliteOptions options{path};
    options.outbox_signal = &signal;
    return options;
  }

  OutboxWakeups wakeups_;
  const std::string dir_;
  sqlite::SqliteStore store_;
  sqlite::SqliteEventDelivery delivery_;
  sqlite::SqliteEventDelivery publisher_delivery_;
  OutboxTableSource source_;
  SystemRandom random_;
  EventMetrics* metrics_ = nullptr;
  std::unique_ptr<WebhookDispatcher> webhooks_;
};

// The shared store, and the relay streaming its outbox (fan-out included) from the start.
class PostgresShape final : public OutboxShape {
 public:
  PostgresShape(const std::string& url, EventMetrics& metrics)
      : store_(Options(url)),
        relay_(RelayOptions(url), clock_, metrics, [this] { WakePublisher(); }, {}) {
    const std::string wal_level = postgres_relay::OutboxRelay::WalLevel(url);
    if (wal_level != "logical") {
      throw std::runtime_error("--store: wal_level is '" + wal_level + "', logical is needed");
    }
    relay_.Start();
    const auto give_up_at =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(kRelayActiveWaitMs);
    while (!relay_.active()) {
      if (std::chrono::steady_clock::now() >= give_up_at) {
        throw std::runtime_error("the relay did not become active (see its log)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~PostgresShape() override {
    relay_.Stop();
    store_.Close();
  }

  const char* name() const override { return "PostgreSQL logical replication"; }
  OutboxSource& source() override { return relay_.source(); }
  void StartConsumers(std::function<void()> wake_publisher) override {
    std::lock_guard lock(mu_);
    wake_publisher_ = std::move(wake_publisher);
  }
  void StopConsumers() override {
    std::lock_guard lock(mu_);
    wake_publisher_ = nullptr;
  }

 protected:
  Store& store() override { return store_; }

 private:
  static postgres::PostgresOptions Options(const std::string& url) {
    postgres::PostgresOptions options;
    options.url = url;
    return options;
  }
  static postgres_relay::OutboxRelayOptions RelayOptions(const std::string& url) {
    postgres_relay::OutboxRelayOptions options;
    options.url = url;
    options.publishing = true;
    return options;
  }
  void WakePublisher() {
    std::lock_guard lock(mu_);
    if (wake_publisher_) wake_publisher_();
  }

  postgres::PostgresStore store_;
  std::mutex mu_;
  std::function<void()> wake_publisher_;
  postgres_relay::OutboxRelay relay_;
};

}  // namespace

Event OutboxShape::NewEvent() {
  return Event{ids_.Next("evt"), kEventPaymentCompleted, clock_.NowMs(), kPaymentJson};
}

void OutboxShape::Append(int count, int per_job) {
  std::promise<void> last;
  for (int done = 0; done < count; done += per_job) {
    const int n = std::min(per_job, count - done);
    const bool is_last = done + n >= count;
    store().Submit(WriteJob{[this, n](WriteTx& tx) {
                              for (int i = 0; i < n; ++i) tx.AppendEvent(NewEvent());
                              return true;
                            },
                            [&last, is_last](bool) {
                              if (is_last) last.set_value();
                            }});
  }
  if (count > 0) last.get_future().wait();
}

void OutboxShape::Drive(int count, double rate_per_second) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    std::this_thread::sleep_until(start +
                                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      std::chrono::duration<double>(i / rate_per_second)));
    store().Submit(WriteJob{[this](WriteTx& tx) {
                              tx.AppendEvent(NewEvent());
                              return true;
                            },
                            [](bool) {}});
  }
}

std::unique_ptr<OutboxShape> MakeSqliteShape(EventMetrics& metrics) {
  auto shape = std::make_unique<SqliteShape>();
  shape->set_metrics(metrics);
  return shape;
}

std::unique_ptr<OutboxShape> MakePostgresShape(const std::string& url, EventMetrics& metrics) {
  return std::make_unique<PostgresShape>(url, metrics);
}

}  // namespace bo::relaybench

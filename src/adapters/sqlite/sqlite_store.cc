#include "adapters/sqlite/sqlite_store.h"

#include <spdlog/spdlog.h>

#include "adapters/sqlite/migrations.h"
#include "adapters/sqlite/write_tx.h"
#include "common/assert.h"

namespace bo::sqlite {

struct SqliteStore::ReaderSlot {
  std::unique_ptr<Db> db;
  std::unique_ptr<ReadOps<StoreReader>> ops;
};

SqliteStore::SqliteStore(SqliteOptions options) : options_(std::move(options)) {
  BO_ASSERT(options_.batch_size_max > 0 && options_.queue_jobs_max > 0);
  writer_db_ = std::make_unique<Db>(options_.path, /*read_only=*/false);
  ApplyMigrations(*writer_db_);
  writer_ = std::thread([this] { WriterLoop(); });
}

SqliteStore::~SqliteStore() { Close(); }

void SqliteStore::Close() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  std::lock_guard lock(close_mu_);
  if (writer_.joinable()) writer_.join();
}

void SqliteStore::Submit(WriteJob job) {
  {
    std::lock_guard lock(queue_mu_);
    if (!stopping_ && queue_.size() < options_.queue_jobs_max) {
      queue_.push_back(std::move(job));
      if (queue_.size() == 1) queue_cv_.notify_one();
      return;
    }
  }
  job.done(false);  // refused: the job never ran
}

StoreStats SqliteStore::Stats() {
  StoreStats stats;
  {
    std::lock_guard lock(queue_mu_);
    stats.queue_jobs = queue_.size();
  }
  stats.transactions_committed = transactions_committed_.load();
  stats.jobs_run = jobs_run_.load();
  return stats;
}

void SqliteStore::WriterLoop() {
  std::vector<WriteJob> batch;
  batch.reserve(static_cast<size_t>(options_.batch_size_max));
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and every queued job has run
      while (!queue_.empty() && batch.size() < static_cast<size_t>(options_.batch_size_max)) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    RunBatch(batch);
    batch.clear();
  }
}

void SqliteStore::RunBatch(std::vector<WriteJob>& batch) {
  SqliteWriteTx tx(*writer_db_);
  bool committed = false;
  try {
    writer_db_->Prepare("BEGIN IMMEDIATE").Exec();
    for (auto& job : batch) {
      writer_db_->Prepare("SAVEPOINT job").Exec();
      bool keep = false;
      try {
        keep = job.run(tx);
      } catch (const std::exception& e) {
        spdlog::error("write job failed: {}", e.what());
        keep = false;
      }
      if (!keep) writer_db_->Prepare("ROLLBACK TO job").Exec();
      writer_db_->Prepare("RELEASE job").Exec();
    }
    writer_db_->Prepare("COMMIT").Exec();
    committed = true;
    transactions_committed_.fetch_add(1, std::memory_order_relaxed);
    if (options_.outbox_signal != nullptr && tx.events_appended() > 0) {
      options_.outbox_signal->EventsCommitted();
    }
  } catch (const std::exception& e) {
    spdlog::error("write transaction failed: {}", e.what());
    if (!sqlite3_get_autocommit(writer_db_->raw())) {
      try {
        writer_db_->Exec("ROLLBACK");
      } catch (const std::exception& rollback_error) {
        spdlog::error("rollback failed: {}", rollback_error.what());
      }
    }
  }
  jobs_run_.fetch_add(batch.size(), std::memory_order_relaxed);
  for (auto& job : batch) job.done(committed);
}

std::shared_ptr<StoreReader> SqliteStore::Read() {
  ReaderSlot* slot = nullptr;
  {
    std::lock_guard lock(readers_mu_);
    if (!free_readers_.empty()) {
      slot = free_readers_.back();
      free_readers_.pop_back();
    }
  }
  if (slot == nullptr) {
    auto fresh = std::make_unique<ReaderSlot>();
    fresh->db = std::make_unique<Db>(options_.path, /*read_only=*/true);
    fresh->ops = std::make_unique<ReadOps<StoreReader>>(*fresh->db);
    slot = fresh.get();
    std::lock_guard lock(readers_mu_);
    reader_slots_.push_back(std::move(fresh));
  }
  return std::shared_ptr<StoreReader>(slot->ops.get(), [this, slot](StoreReader*) {
    std::lock_guard lock(readers_mu_);
    free_readers_.push_back(slot);
  });
}

bool SqliteStore::Ping() {
  try {
    auto reader = Read();
    reader->FindConcert("");
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

namespace {

struct CheckSpec {
  const char* name;
  const char* offenders_sql;  // one column: an offender's id; no rows means the check holds
};

constexpr CheckSpec kChecks[] = {
    {"no seat is held or sold by two reservations",
     "SELECT rs.seat_id FROM reservation_seats rs JOIN reservations r ON r.id = rs.reservation_id"
     " WHERE r.status IN ('HELD', 'PAID') GROUP BY rs.seat_id HAVING COUNT(*) > 1"},
    {"every held or sold seat belongs to its live reservation",
     "SELECT s.id FROM seats s LEFT JOIN reservations r ON r.id = s.reservation_id"
     " WHERE (s.status = 'HELD' AND r.status IS NOT 'HELD')"
     " OR (s.status = 'SOLD' AND r.status IS NOT 'PAID')"},
    {"every live seated reservation holds each of its seats",
     "SELECT rs.reservation_id FROM reservation_seats rs"
     " JOIN reservations r ON r.id = rs.reservation_id LEFT JOIN seats s ON s.id = rs.seat_id"
     " WHERE r.status IN ('HELD', 'PAID') AND (s.reservation_id IS NOT r.id"
     " OR s.status <> CASE r.status WHEN 'HELD' THEN 'HELD' ELSE 'SOLD' END)"},
    {"seatsAvailable of every schedule counts its available seats",
     "SELECT sc.id FROM schedules sc WHERE sc.seats_available <>"
     " (SELECT COUNT(*) FROM seats s WHERE s.schedule_id = sc.id AND s.status = 'AVAILABLE')"
     " OR sc.seats_total <> (SELECT COUNT(*) FROM seats s WHERE s.schedule_id = sc.id)"},
    {"sold <= capacity, and taken units equal held + paid quantities",
     "SELECT t.id FROM ticket_types t WHERE t.taken > t.capacity OR t.taken <>"
     " (SELECT COALESCE(SUM(r.quantity), 0) FROM reservations r"
     "  WHERE r.ticket_type_id = t.id AND r.status IN ('HELD', 'PAID'))"},
    {"every paid reservation has one payment of its amount, and no other has one",
     "SELECT r.id FROM reservations r LEFT JOIN payments p ON p.reservation_id = r.id"
     " WHERE (r.status IN ('PAID', 'REFUNDED') AND (p.id IS NULL OR p.amount <> r.amount))"
     " OR (r.status NOT IN ('PAID', 'REFUNDED') AND p.id IS NOT NULL)"},
    {"every paid reservation has one ticket per seat or unit",
     "SELECT r.id FROM reservations r WHERE r.status = 'PAID' AND r.quantity <>"
     " (SELECT COUNT(*) FROM tickets t WHERE t.reservation_id = r.id AND t.status = 'VALID')"},
    {"no seat has two valid tickets",
     "SELECT seat_id FROM tickets WHERE seat_id IS NOT NULL AND status = 'VALID'"
     " GROUP BY seat_id HAVING COUNT(*) > 1"},
    {"every points payment has exactly its debit",
     "SELECT p.id FROM payments p WHERE p.method = 'POINTS' AND 1 <>"
     " (SELECT COUNT(*) FROM wallet_transactions w WHERE w.payment_id = p.id"
     "  AND w.kind = 'PAYMENT' AND w.amount = p.amount)"},
    {"every wallet balance equals the sum of its transactions",
     "SELECT w.user_id FROM wallets w WHERE w.balance <>"
     " (SELECT COALESCE(SUM(CASE t.kind WHEN 'PAYMENT' THEN -t.amount ELSE t.amount END), 0)"
     "  FROM wallet_transactions t WHERE t.user_id = w.user_id)"
     " UNION SELECT DISTINCT t.user_id FROM wallet_transactions t"
     " WHERE t.user_id NOT IN (SELECT user_id FROM wallets)"},
    {"no wallet balance is negative, before or after any transaction",
     "SELECT user_id FROM wallets WHERE balance < 0"
     " UNION SELECT user_id FROM wallet_transactions WHERE balance_after < 0"},
    // Outbox rows delivered to every consumer are pruned; payments no newer than the pruned
    // events are not checked. The uncorrelated NOT IN is built once into a temporary index:
    // a correlated lookup would decode every event's JSON once per payment.
    {"every paid reservation has its payment.completed event",
     "SELECT p.id FROM payments p WHERE p.id NOT IN (SELECT json_extract(o.data, '$.id')"
     " FROM outbox o WHERE o.type = 'payment.completed'"
     " AND json_extract(o.data, '$.id') IS NOT NULL)"
     " AND p.created_at_ms > COALESCE((SELECT through_time_ms FROM outbox_pruned), -1)"},
};

constexpr int kOffendersShownMax = 5;

}  // namespace

std::vector<AuditCheck> SqliteStore::Audit() {
  Db db(options_.path, /*read_only=*/true);
  db.Exec("BEGIN");  // one snapshot for every check
  std::vector<AuditCheck> out;
  for (const auto& spec : kChecks) {
    AuditCheck check{spec.name, true, ""};
    auto q = db.Prepare(spec.offenders_sql);
    int offenders = 0;
    while (q.Step()) {
      if (offenders < kOffendersShownMax) {
        check.detail += (offenders ? ", " : "") + q.Text(0);
      }
      ++offenders;
    }
    if (offenders > 0) {
      check.ok = false;
      check.detail = std::to_string(offenders) + " offending: " + check.detail;
    }
    out.push_back(std::move(check));
  }
  db.Exec("COMMIT");
  return out;
}

}  // namespace bo::sqlite

#include "adapters/sqlite/sqlite_store.h"

#include <spdlog/spdlog.h>

#include "adapters/audit_checks.h"
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

std::vector<AuditCheck> SqliteStore::Audit() {
  Db db(options_.path, /*read_only=*/true);
  db.Exec("BEGIN");  // one snapshot for every check
  std::vector<AuditCheck> out;
  for (const AuditQuery& query : AuditQueries()) {
    auto q = db.Prepare(query.sqlite_sql);
    std::vector<std::string> offenders;
    while (q.Step()) offenders.push_back(q.Text(0));
    out.push_back(AuditCheckFrom(query.name, offenders));
  }
  db.Exec("COMMIT");
  return out;
}

}  // namespace bo::sqlite

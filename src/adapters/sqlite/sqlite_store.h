// The embedded Store: one SQLite file in WAL mode, one writer thread, a pool of readers.
//
// Group commit: the writer takes up to batch_size_max queued jobs, runs them in one
// transaction (BEGIN IMMEDIATE ... COMMIT), each inside its own SAVEPOINT, and answers them all
// after the single commit. A job that fails rolls back to its savepoint and leaves the others
// alone. A lone job runs at once: the writer never waits to fill a batch.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/sqlite/db.h"
#include "ports/outbox_signal.h"
#include "ports/store.h"

namespace bo::sqlite {

struct SqliteOptions {
  std::string path;                       // the database file
  int batch_size_max = 512;               // jobs per transaction
  size_t queue_jobs_max = 100'000;        // jobs waiting for the writer; more are refused
  OutboxSignal* outbox_signal = nullptr;  // told after each commit that appended events
};

class SqliteStore final : public Store {
 public:
  // Opens (creating) the database and applies pending migrations. Throws SqliteError.
  // REQUIRES: options.outbox_signal, if set, outlives the store.
  explicit SqliteStore(SqliteOptions options);
  ~SqliteStore() override;  // Close()s

  void Submit(WriteJob job) override;
  std::shared_ptr<StoreReader> Read() override;
  bool Ping() override;
  std::vector<AuditCheck> Audit() override;

  StoreStats Stats() override;
  void Close() override;

 private:
  struct ReaderSlot;

  void WriterLoop();
  void RunBatch(std::vector<WriteJob>& batch);

  SqliteOptions options_;
  std::unique_ptr<Db> writer_db_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<WriteJob> queue_;
  bool stopping_ = false;
  std::mutex close_mu_;  // serialises joining the writer
  std::thread writer_;

  std::mutex readers_mu_;
  std::vector<std::unique_ptr<ReaderSlot>> reader_slots_;
  std::vector<ReaderSlot*> free_readers_;

  std::atomic<std::uint64_t> transactions_committed_{0};
  std::atomic<std::uint64_t> jobs_run_{0};
};

}  // namespace bo::sqlite

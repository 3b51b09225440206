// The shared Store: one PostgreSQL database that several stateless instances use at once.
//
// Writes run on a fixed number of writer lanes, each one connection, one thread and one queue.
// A job goes to the lane its WriteJob::lane_key hashes to (any lane when empty), so that jobs on
// the same hot row coalesce in one lane instead of fighting over its lock across connections.
// Each lane does group commit like the SQLite writer: it takes up to batch_size_max queued jobs,
// runs them in one transaction and answers them all after the single COMMIT. A lone job runs at
// once: a lane never waits to fill a batch.
//
// The jobs of a batch first run side by side, each on a fiber (FiberBatch): the statements they
// need answered at the same step travel in one round trip, so a batch of holds costs a few round
// trips whatever its size. A job that fails without having written anything (a seat already
// taken) needs no undoing. If a statement fails, or a job fails after writing, the batch is
// rolled back and its jobs run again one after the other, each inside its own SAVEPOINT, so
// that a failing job rolls back alone while the others commit together.
//
// Statements are prepared once per connection and sent in libpq's pipeline mode: savepoints and
// writes whose result the job does not need ride along with the next statement that needs an
// answer (see PgWriteTx).
//
// Failures: a deadlock or serialization failure rolls the batch back and runs it again, at most
// batch_retries_max times. A connection lost before the batch's COMMIT was sent is replaced at
// once and the batch runs again (the lost transaction kept nothing); lost while committing,
// the jobs are answered done(false), since the outcome is unknown. Without a connection the
// lane reconnects with backoff, answering jobs done(false) at once while the database is away.
// Readers come from a bounded pool; a read that cannot reach the database throws pg::PgError
// (the HTTP layer answers 503). Nothing needs a restart when the database is back.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "adapters/postgres/connection.h"
#include "ports/store.h"

namespace bo::postgres {

struct PostgresOptions {
  std::string url;                  // postgres://user@host:port/db
  int writer_lanes = 2;             // writer connections, each with its thread and queue
  int pool_size = 8;                // reader connections at most
  int batch_size_max = 512;         // jobs per transaction
  size_t queue_jobs_max = 100'000;  // jobs waiting, over all lanes; more are refused
  int batch_retries_max = 3;        // runs again after a deadlock or serialization failure
  int reconnect_backoff_ms_max = 500;
  int reader_wait_ms_max = 1'000;         // a reader waits this long at most for a free connection
  bool interleave_jobs = true;            // false: every batch runs its jobs one after the other
  size_t fiber_stack_bytes = 256 * 1024;  // per job of an interleaved batch
  pg::PipelineOptions pipeline;
};

class PostgresStore final : public Store {
 public:
  // Connects, applies pending migrations and starts the lanes. Throws pg::PgError if the
  // database cannot be reached or migrated.
  // REQUIRES: writer_lanes, pool_size, batch_size_max, queue_jobs_max >= 1.
  explicit PostgresStore(PostgresOptions options);
  ~PostgresStore() override;  // Close()s

  void Submit(WriteJob job) override;
  std::shared_ptr<StoreReader> Read() override;
  bool Ping() override;
  std::vector<AuditCheck> Audit() override;
  StoreStats Stats() override;
  void Close() override;

 private:
  class Lane;
  class ReaderPool;

  PostgresOptions options_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::unique_ptr<ReaderPool> readers_;
  std::atomic<std::uint64_t> next_lane_{0};
  std::atomic<std::uint64_t> transactions_committed_{0};
  std::atomic<std::uint64_t> jobs_run_{0};
  std::atomic<std::uint64_t> batches_run_singly_{0};
};

// Applies pending migrations to the database at `url` and returns how many. Throws pg::PgError.
int MigratePostgres(const std::string& url);

}  // namespace bo::postgres

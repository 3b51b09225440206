#include "adapters/postgres/postgres_store.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <deque>
#include <functional>
#include <thread>

#include "adapters/audit_checks.h"
#include "adapters/postgres/fiber_batch.h"
#include "adapters/postgres/migrations.h"
#include "adapters/postgres/write_tx.h"
#include "common/assert.h"

namespace bo::postgres {
namespace {

using Clock = std::chrono::steady_clock;

constexpr pg::Statement kBegin{"t_begin", "BEGIN"};
constexpr pg::Statement kCommit{"t_commit", "COMMIT"};
constexpr pg::Statement kRollback{"t_rollback", "ROLLBACK"};
constexpr pg::Statement kSavepoint{"t_savepoint", "SAVEPOINT job"};
constexpr pg::Statement kRelease{"t_release", "RELEASE SAVEPOINT job"};
constexpr pg::Statement kRollbackToSavepoint{"t_rollback_to", "ROLLBACK TO SAVEPOINT job"};
constexpr pg::Statement kTransactionControl[] = {kBegin,     kCommit,  kRollback,
                                                 kSavepoint, kRelease, kRollbackToSavepoint};

constexpr int kReconnectBackoffMsMin = 50;

// The first reply that failed (not skipped), or nullptr.
const pg::Reply* FirstFailure(const std::vector<pg::Reply>& replies, size_t* index) {
  for (size_t i = 0; i < replies.size(); ++i) {
    if (!replies[i].ok() && !replies[i].skipped()) {
      *index = i;
      return &replies[i];
    }
  }
  return nullptr;
}

bool Retryable(const pg::Reply& reply) {
  return reply.sqlstate() == pg::kDeadlockDetected || reply.sqlstate() == pg::kSerializationFailure;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// A writer lane.

class PostgresStore::Lane {
 public:
  Lane(const PostgresOptions& options, int index, size_t queue_jobs_max,
       std::atomic<std::uint64_t>& transactions_committed, std::atomic<std::uint64_t>& jobs_run,
       std::atomic<std::uint64_t>& batches_run_singly)
      : options_(options),
        index_(index),
        queue_jobs_max_(queue_jobs_max),
        transactions_committed_(transactions_committed),
        jobs_run_(jobs_run),
        batches_run_singly_(batches_run_singly),
        stacks_(options.fiber_stack_bytes, static_cast<size_t>(options.batch_size_max)),
        thread_([this] { Loop(); }) {}

  ~Lane() { Stop(); }

  // Queues `job`; false, leaving it untouched, if the lane is stopping or its queue is full.
  bool Submit(WriteJob& job) {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= queue_jobs_max_) return false;
    queue_.push_back(std::move(job));
    if (queue_.size() == 1) cv_.notify_one();
    return true;
  }

  // Refuses later jobs, runs those queued and joins the thread. Idempotent.
  void Stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    std::lock_guard lock(join_mu_);
    if (thread_.joinable()) thread_.join();
  }

  size_t queued() {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

 private:
  // kAbandoned: jobs run side by side could not all be kept apart; run them one by one.
  enum class Outcome { kCommitted, kRetry, kLost, kFailed, kAbandoned };

  void Loop() {
    std::vector<WriteJob> batch;
    batch.reserve(static_cast<size_t>(options_.batch_size_max));
    for (;;) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) break;  // stopping, and every queued job has been answered
        while (!queue_.empty() && batch.size() < static_cast<size_t>(options_.batch_size_max)) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      if (Connected()) {
        RunBatch(batch);
      } else {
        Answer(batch, false);  // the database is away: fail fast
      }
      batch.clear();
    }
    conn_.reset();
  }

  void Answer(std::vector<WriteJob>& batch, bool committed) {
    jobs_run_.fetch_add(batch.size(), std::memory_order_relaxed);
    for (auto& job : batch) job.done(committed);
  }

  // Whether the lane has a live connection, opening one if the backoff allows.
  bool Connected() {
    if (conn_ && conn_->IdleAlive()) return true;
    if (conn_) {
      conn_.reset();
      spdlog::warn("writer lane {}: lost its PostgreSQL connection", index_);
    }
    const auto now = Clock::now();
    if (now < next_connect_) return false;
    auto opened =
        pg::Connection::OpenPipelined(options_.url, options_.pipeline, kTransactionControl);
    if (!opened.ok()) {
      if (backoff_ms_ == 0) {
        spdlog::error("writer lane {}: {}", index_, opened.error().detail);
      }
      backoff_ms_ = std::min(std::max(backoff_ms_ * 2, kReconnectBackoffMsMin),
                             options_.reconnect_backoff_ms_max);
      next_connect_ = now + std::chrono::milliseconds(backoff_ms_);
      return false;
    }
    if (backoff_ms_ != 0) spdlog::info("writer lane {}: connected to PostgreSQL again", index_);
    backoff_ms_ = 0;
    conn_ = std::move(opened).value();
    return true;
  }

  void RunBatch(std::vector<WriteJob>& batch) {
    std::vector<char> rolled_back(batch.size());
    if (options_.interleave_jobs) {
      Outcome outcome;
      try {
        outcome = TryInterleaved(batch, rolled_back);
      } catch (const pg::PgError&) {
        outcome = conn_->broken() ? Outcome::kLost : Outcome::kAbandoned;
      }
      if (outcome == Outcome::kCommitted) {
        Committed(batch, rolled_back);
        return;
      }
      if (outcome == Outcome::kLost && (commit_sent_ || !Reconnect())) {
        Answer(batch, false);  // lost while committing: the outcome is unknown
        return;
      }
      if (outcome == Outcome::kAbandoned) {
        batches_run_singly_.fetch_add(1, std::memory_order_relaxed);
        if (!RollBack()) {
          Answer(batch, false);
          return;
        }
      }
    }
    for (int attempt = 0; attempt <= options_.batch_retries_max; ++attempt) {
      std::fill(rolled_back.begin(), rolled_back.end(), 0);
      Outcome outcome;
      try {
        outcome = TryBatch(batch, rolled_back);
      } catch (const pg::PgError& e) {
        spdlog::error("writer lane {}: {}", index_, e.what());
        outcome =
            conn_->broken() ? Outcome::kLost : (e.retryable() ? Outcome::kRetry : Outcome::kFailed);
      }
      if (outcome == Outcome::kCommitted) {
        Committed(batch, rolled_back);
        return;
      }
      if (outcome == Outcome::kLost) {
        // A connection lost before COMMIT was sent took the transaction with it, so the
        // batch runs again on a new connection (a stale one is found only by using it, e.g.
        // after a database restart). Lost while committing, the outcome is unknown: the jobs
        // are answered as not committed.
        if (commit_sent_ || !Reconnect()) break;
        continue;
      }
      if (!RollBack()) break;
      if (outcome == Outcome::kFailed) break;
      // A deadlock or serialization failure: the same jobs, again, after a short pause that
      // lets the other transaction finish.
      std::this_thread::sleep_for(std::chrono::milliseconds(1 << attempt));
    }
    Answer(batch, false);
  }

  // Drops the lost connection and opens another at once (no backoff: the database answered
  // until a moment ago). False if it cannot.
  bool Reconnect() {
    conn_.reset();
    spdlog::warn("writer lane {}: lost its PostgreSQL connection; reconnecting", index_);
    next_connect_ = Clock::now();
    return Connected();
  }

  // Ends the transaction after a failed batch; false if the connection is gone.
  bool RollBack() {
    try {
      // Statements still queued go first, on their own: after a failure they are skipped
      // and would take the ROLLBACK with them.
      if (conn_->queued() > 0) (void)conn_->RoundTrip();
      conn_->Queue(kRollback, {});
      (void)conn_->RoundTrip();
      return true;
    } catch (const pg::PgError&) {
      return false;
    }
  }

  // Answers the jobs of a committed batch: kept unless rolled back (or failed, see run()).
  void Committed(std::vector<WriteJob>& batch, const std::vector<char>& rolled_back) {
    transactions_committed_.fetch_add(1, std::memory_order_relaxed);
    jobs_run_.fetch_add(batch.size(), std::memory_order_relaxed);
    for (size_t i = 0; i < batch.size(); ++i) batch[i].done(rolled_back[i] == 0);
  }

  // Runs the jobs side by side (FiberBatch) and commits them. kAbandoned when that cannot keep
  // each job's outcome its own: a statement failed, a job threw, or a job returned false after
  // writing (its writes would need undoing alone); the transaction is then to be rolled back.
  Outcome TryInterleaved(std::vector<WriteJob>& batch, const std::vector<char>& rolled_back) {
    BO_ASSERT(rolled_back.size() == batch.size());  // none is: a job's failure undoes nothing
    std::vector<char> kept(batch.size());
    commit_sent_ = false;
    conn_->Queue(kBegin, {});
    FiberBatch fibers(*conn_, stacks_);
    std::vector<std::unique_ptr<PgWriteTx>> txs;
    std::vector<std::function<void()>> bodies;
    std::vector<char> threw(batch.size());
    txs.reserve(batch.size());
    bodies.reserve(batch.size());
    for (size_t i = 0; i < batch.size(); ++i) {
      txs.push_back(std::make_unique<PgWriteTx>(*conn_, &fibers));
      bodies.emplace_back([&, i] {
        try {
          kept[i] = batch[i].run(*txs[i]);
        } catch (const std::exception&) {
          threw[i] = 1;  // it runs again alone, where its failure is logged
        }
      });
    }
    if (!fibers.Run(bodies)) {
      return conn_->broken() ? Outcome::kLost : Outcome::kAbandoned;
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (threw[i] || txs[i]->retry_needed() || (!kept[i] && txs[i]->changed())) {
        return Outcome::kAbandoned;
      }
    }
    // The commit carries the writes the jobs left queued, and the seat counts of those kept.
    SeatCounts counts;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (kept[i]) counts.Merge(txs[i]->seat_counts());
    }
    counts.QueueOn(*conn_);
    conn_->Queue(kCommit, {});
    commit_sent_ = true;
    const std::vector<pg::Reply> replies = conn_->RoundTrip();
    size_t index = 0;
    if (FirstFailure(replies, &index) != nullptr) return Outcome::kAbandoned;
    return Outcome::kCommitted;
  }

  Outcome TryBatch(std::vector<WriteJob>& batch, std::vector<char>& rolled_back) {
    commit_sent_ = false;
    PgWriteTx tx(*conn_);
    conn_->Queue(kBegin, {});
    for (size_t i = 0; i < batch.size(); ++i) {
      conn_->Queue(kSavepoint, {});
      bool keep = false;
      try {
        keep = batch[i].run(tx);
      } catch (const pg::PgError& e) {
        if (e.connection_lost()) return Outcome::kLost;
        if (!e.retryable()) spdlog::error("write job failed: {}", e.what());
      } catch (const std::exception& e) {
        spdlog::error("write job failed: {}", e.what());
      }
      if (conn_->broken()) return Outcome::kLost;
      if (tx.retry_needed()) return Outcome::kRetry;
      // The job's seat counts ride with its end, inside its savepoint.
      if (keep) {
        tx.seat_counts().QueueOn(*conn_);
      } else {
        tx.seat_counts().Clear();
      }
      const bool last = i + 1 == batch.size();
      bool undone = false;
      const Outcome ended = EndJob(keep, last, &undone);
      rolled_back[i] = undone;
      if (ended != Outcome::kCommitted) return ended;
    }
    return Outcome::kCommitted;
  }

  // Releases the job's savepoint (or rolls back to it), sending what the job left queued, and
  // commits after the last job. *rolled_back tells whether the job's writes were undone after
  // it had returned true (a queued write of it failed). kCommitted means "go on".
  Outcome EndJob(bool keep, bool last, bool* rolled_back) {
    size_t job_statements = conn_->queued();
    for (int round = 0; round < 2; ++round) {
      if (!keep) conn_->Queue(kRollbackToSavepoint, {});
      conn_->Queue(kRelease, {});
      if (last) {
        conn_->Queue(kCommit, {});
        commit_sent_ = true;
      }
      const std::vector<pg::Reply> replies = conn_->RoundTrip();
      size_t index = 0;
      const pg::Reply* failed = FirstFailure(replies, &index);
      if (failed == nullptr) return Outcome::kCommitted;
      if (Retryable(*failed)) return Outcome::kRetry;
      if (index >= job_statements) {
        spdlog::error("writer lane {}: ending a job: {} (SQLSTATE {})", index_, failed->error(),
                      failed->sqlstate());
        return Outcome::kFailed;
      }
      // A write the job queued failed: undo the job alone, then end as planned.
      spdlog::error("write job failed: {} (SQLSTATE {})", failed->error(), failed->sqlstate());
      if (keep) *rolled_back = true;
      keep = false;
      job_statements = 0;
    }
    return Outcome::kFailed;
  }

  const PostgresOptions& options_;
  const int index_;
  const size_t queue_jobs_max_;
  std::atomic<std::uint64_t>& transactions_committed_;
  std::atomic<std::uint64_t>& jobs_run_;
  std::atomic<std::uint64_t>& batches_run_singly_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<WriteJob> queue_;
  bool stopping_ = false;
  std::mutex join_mu_;

  // Used by the lane's thread only.
  std::unique_ptr<pg::Connection> conn_;
  FiberStackPool stacks_;
  bool commit_sent_ = false;  // the batch being tried has sent its COMMIT
  int backoff_ms_ = 0;
  Clock::time_point next_connect_{};

  std::thread thread_;  // last: starts once everything above is ready
};

// ---------------------------------------------------------------------------------------------
// The reader pool.

class PostgresStore::ReaderPool {
 public:
  explicit ReaderPool(const PostgresOptions& options) : options_(options) {}

  // A reader on a pooled connection, returned to the pool when released. Throws pg::PgError
  // when no connection frees up within reader_wait_ms_max or the database cannot be reached.
  std::shared_ptr<StoreReader> Checkout() {
    std::unique_ptr<Slot> slot;
    {
      std::unique_lock lock(mu_);
      const auto deadline = Clock::now() + std::chrono::milliseconds(options_.reader_wait_ms_max);
      if (!cv_.wait_until(lock, deadline,
                          [this] { return !free_.empty() || open_ < options_.pool_size; })) {
        throw pg::PgError(std::string(pg::kConnectionFailure),
                          "no PostgreSQL reader connection came free in time");
      }
      // Idle connections the server has closed meanwhile (a restart) are dropped, not used.
      while (!free_.empty() && !free_.back()->conn->IdleAlive()) {
        free_.pop_back();
        --open_;
      }
      if (!free_.empty()) {
        slot = std::move(free_.back());
        free_.pop_back();
      } else {
        if (Clock::now() < down_until_) {
          throw pg::PgError(std::string(pg::kConnectionFailure), "PostgreSQL is unreachable");
        }
        ++open_;  // reserved while connecting
      }
    }
    if (!slot) slot = Open();
    Slot* raw = slot.release();
    return std::shared_ptr<StoreReader>(
        raw->ops.get(), [this, raw](StoreReader*) { Return(std::unique_ptr<Slot>(raw)); });
  }

 private:
  struct Slot {
    std::unique_ptr<pg::Connection> conn;
    std::unique_ptr<ReadOps<StoreReader>> ops;
  };

  std::unique_ptr<Slot> Open() {
    auto opened = pg::Connection::OpenPipelined(options_.url, options_.pipeline, {});
    if (!opened.ok()) {
      std::lock_guard lock(mu_);
      --open_;
      down_until_ = Clock::now() + std::chrono::milliseconds(kReconnectBackoffMsMin);
      cv_.notify_one();
      throw pg::PgError(std::string(pg::kConnectionFailure), opened.error().detail);
    }
    auto slot = std::make_unique<Slot>();
    slot->conn = std::move(opened).value();
    slot->ops = std::make_unique<ReadOps<StoreReader>>(*slot->conn);
    return slot;
  }

  void Return(std::unique_ptr<Slot> slot) {
    std::vector<std::unique_ptr<Slot>> closing;
    {
      std::lock_guard lock(mu_);
      if (slot->conn->broken()) {
        // A lost connection suggests the server restarted: the idle ones are gone too.
        open_ -= 1 + static_cast<int>(free_.size());
        closing.swap(free_);
        closing.push_back(std::move(slot));
      } else if (slot->conn->queued() > 0) {
        // A read stopped half-way: what it queued would ride along with the next one.
        --open_;
        closing.push_back(std::move(slot));
      } else {
        free_.push_back(std::move(slot));
      }
    }
    cv_.notify_all();
  }

  const PostgresOptions& options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Slot>> free_;
  int open_ = 0;  // connections open or opening, free or checked out
  Clock::time_point down_until_{};
};

// ---------------------------------------------------------------------------------------------

int MigratePostgres(const std::string& url) {
  auto conn = pg::Connection::Open(url);
  if (!conn.ok()) throw pg::PgError(std::string(pg::kConnectionFailure), conn.error().detail);
  return ApplyMigrations(**conn);
}

PostgresStore::PostgresStore(PostgresOptions options) : options_(std::move(options)) {
  BO_ASSERT(options_.writer_lanes >= 1 && options_.pool_size >= 1 && options_.batch_size_max >= 1 &&
            options_.queue_jobs_max >= 1 && options_.batch_retries_max >= 0);
  const int applied = MigratePostgres(options_.url);
  if (applied > 0) spdlog::info("applied {} PostgreSQL migrations", applied);
  readers_ = std::make_unique<ReaderPool>(options_);
  const size_t per_lane =
      std::max<size_t>(1, options_.queue_jobs_max / static_cast<size_t>(options_.writer_lanes));
  for (int i = 0; i < options_.writer_lanes; ++i) {
    lanes_.push_back(std::make_unique<Lane>(options_, i, per_lane, transactions_committed_,
                                            jobs_run_, batches_run_singly_));
  }
}

PostgresStore::~PostgresStore() { Close(); }

void PostgresStore::Close() {
  for (auto& lane : lanes_) lane->Stop();
}

void PostgresStore::Submit(WriteJob job) {
  const std::uint64_t n = job.lane_key.empty() ? next_lane_.fetch_add(1, std::memory_order_relaxed)
                                               : std::hash<std::string>{}(job.lane_key);
  Lane& lane = *lanes_[n % lanes_.size()];
  if (!lane.Submit(job)) job.done(false);  // refused: the job never ran
}

std::shared_ptr<StoreReader> PostgresStore::Read() { return readers_->Checkout(); }

bool PostgresStore::Ping() {
  try {
    Read()->FindConcert("");
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

StoreStats PostgresStore::Stats() {
  StoreStats stats;
  for (auto& lane : lanes_) stats.queue_jobs += lane->queued();
  stats.transactions_committed = transactions_committed_.load();
  stats.jobs_run = jobs_run_.load();
  stats.batches_run_singly = batches_run_singly_.load();
  return stats;
}

std::vector<AuditCheck> PostgresStore::Audit() {
  auto opened = pg::Connection::Open(options_.url);
  if (!opened.ok()) throw pg::PgError(std::string(pg::kConnectionFailure), opened.error().detail);
  pg::Connection& conn = **opened;
  // One snapshot for every check.
  conn.Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").Check("BEGIN");
  std::vector<AuditCheck> out;
  for (const AuditQuery& query : AuditQueries()) {
    const pg::Reply reply =
        conn.RunOnce(query.postgres_sql ? query.postgres_sql : query.sqlite_sql, {});
    reply.Check(query.name);
    std::vector<std::string> offenders;
    for (int i = 0; i < reply.rows(); ++i) offenders.push_back(pg::Row(reply, i).Text(0));
    out.push_back(AuditCheckFrom(query.name, offenders));
  }
  conn.Exec("COMMIT").Check("COMMIT");
  return out;
}

}  // namespace bo::postgres

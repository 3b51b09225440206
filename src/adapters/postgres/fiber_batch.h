// The jobs of one batch, side by side on one connection.
//
// Each job runs on a fiber of its own (a stack switched in user space, on the lane's thread).
// A job that needs the reply of a statement does not send it: it yields. Once every job has
// yielded or finished, one round trip carries the statements of all of them, and each waiting
// job resumes with its own replies. A batch of n jobs that each need k answers costs k round
// trips instead of n * k: concurrent holds of one schedule become one statement pipeline per
// step, each request still answered on its own.
//
// The statements of one round trip are planned before they are sent (coalescing/step_plan.h):
// the runs of a statement that several jobs queued at the same step go as its set form, one
// statement whose rows are split back to each job by ordinality, instead of one statement per
// job; a lone job sends its plain statements.
//
// The jobs share one transaction and no savepoints, so a statement that fails cannot be undone
// alone: it abandons the batch. Every waiting job then resumes into a PgError (kAbandoned) and
// the lane rolls back and runs the same jobs one after the other, each in its savepoint (see
// PostgresStore), where a failure stays with its job.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "adapters/postgres/connection.h"

namespace bo::postgres {

// The SQLSTATE-like code of the PgError a job resumes into when its batch is abandoned.
inline constexpr std::string_view kBatchAbandoned = "BOABN";

class FiberStackPool;

class FiberBatch {
 public:
  // Stacks come from `stacks` and go back to it; the pool outlives the batch.
  // REQUIRES: `conn` is pipelined.
  FiberBatch(pg::Connection& conn, FiberStackPool& stacks);
  ~FiberBatch();
  FiberBatch(const FiberBatch&) = delete;
  FiberBatch& operator=(const FiberBatch&) = delete;

  // Runs every body to its end, sending round trips as the bodies need them. Returns true if
  // every round trip succeeded. False if a statement failed or the connection was lost: the
  // batch was abandoned (`failure()` says why) and its transaction must be rolled back.
  // What the bodies queued but did not await is left queued on the connection (planned as
  // a round trip's statements are), after whatever the caller queued there before Run.
  // REQUIRES: called once; every body catches what it throws; at most jobs_max bodies.
  bool Run(std::span<const std::function<void()>> bodies);

  // From inside a body: queues `statement` for the next round trip (nothing is sent).
  // Throws PgError with sqlstate kBatchAbandoned when the batch was abandoned.
  // REQUIRES: called on a fiber of Run; `params` as many as the statement takes.
  void Queue(const pg::Statement& statement, std::initializer_list<pg::Param> params);
  // From inside a body: the statements it queued since its last round trip.
  size_t queued() const;

  // From inside a body: waits for the round trip that carries everything queued so far and
  // returns the replies of the last `last` statements queued (all ok). Throws PgError with
  // sqlstate kBatchAbandoned when the batch was abandoned, which any failed statement does.
  // REQUIRES: called on a fiber of Run; `last` <= queued().
  std::vector<pg::Reply> Await(size_t last);

  // The first failure of an abandoned batch: SQLSTATE and message.
  const std::string& failure_sqlstate() const { return failure_sqlstate_; }
  const std::string& failure() const { return failure_; }

 private:
  struct Task;

  // Where the reply of a queued statement is, once its round trip is done: replies[reply],
  // or, if it went in a set form, the rows of ordinal `ordinal` + 1 of that reply.
  struct ReplySlot {
    static constexpr size_t kPlain = static_cast<size_t>(-1);
    size_t reply = 0;
    size_t ordinal = kPlain;
    size_t runs = 1;  // of the set form
  };

  // Sends one round trip and hands each waiting task its replies.
  void RoundTrip();
  // Queues every task's statements on the connection, planned (grouped into set forms), and
  // forgets them; returns where each task's replies will be (by task, by statement).
  std::vector<std::vector<ReplySlot>> QueuePlanned();
  void Abandon(const std::string& sqlstate, const std::string& what);

  pg::Connection& conn_;
  FiberStackPool& stacks_;
  std::vector<std::unique_ptr<Task>> tasks_;
  Task* current_ = nullptr;  // the task whose fiber runs, or null on the lane's own stack
  // The lane's stack, as AddressSanitizer reported it when a task was switched in.
  const void* lane_stack_bottom_ = nullptr;
  size_t lane_stack_size_ = 0;
  bool abandoned_ = false;
  std::string failure_sqlstate_;
  std::string failure_;
};

// Fiber stacks, kept for reuse: each is mapped once with a guard page below it, and a batch
// takes as many as it has jobs. Touched pages stay resident, so a pool costs the depth its
// jobs reached, times jobs_max.
class FiberStackPool {
 public:
  // REQUIRES: stack_bytes a multiple of the page size; jobs_max >= 1.
  FiberStackPool(size_t stack_bytes, size_t jobs_max);
  ~FiberStackPool();
  FiberStackPool(const FiberStackPool&) = delete;
  FiberStackPool& operator=(const FiberStackPool&) = delete;

  size_t jobs_max() const { return jobs_max_; }

  // The lowest address and the size of a free stack (guard page excluded).
  // REQUIRES: fewer than jobs_max stacks taken.
  std::span<std::byte> Take();
  void Give(std::span<std::byte> stack);

 private:
  const size_t stack_bytes_;
  const size_t jobs_max_;
  size_t mapped_ = 0;
  std::vector<std::span<std::byte>> free_;
};

}  // namespace bo::postgres

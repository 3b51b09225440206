#include "adapters/postgres/fiber_batch.h"

#include <sys/mman.h>
#include <unistd.h>

#include <boost/context/fiber.hpp>
#include <map>
#include <new>

#include "adapters/postgres/coalescing/set_params.h"
#include "adapters/postgres/coalescing/step_plan.h"
#include "common/assert.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace bo::postgres {
namespace {

namespace ctx = boost::context;

// AddressSanitizer must be told of every switch of stacks (a no-op without it): Start before
// leaving a stack for the one at [bottom, bottom + size), Finish on arriving, which reports
// the stack left. A null `fake_stack` to Start says the stack left is done for good.
void StartSwitch(void** fake_stack, const void* bottom, size_t size) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_start_switch_fiber(fake_stack, bottom, size);
#else
  (void)fake_stack, (void)bottom, (void)size;
#endif
}

void FinishSwitch(void* fake_stack, const void** bottom_left, size_t* size_left) {
#if defined(__SANITIZE_ADDRESS__)
  __sanitizer_finish_switch_fiber(fake_stack, bottom_left, size_left);
#else
  (void)fake_stack, (void)bottom_left, (void)size_left;
#endif
}

// Boost.Context's StackAllocator over the pool: a handle, copied into each fiber. It tells
// `*taken` which stack it gave.
struct PooledStack {
  FiberStackPool* pool;
  std::span<std::byte>* taken;

  ctx::stack_context allocate() {
    const std::span<std::byte> stack = pool->Take();
    *taken = stack;
    ctx::stack_context context;
    context.size = stack.size();
    context.sp = stack.data() + stack.size();  // stacks grow down
    return context;
  }

  void deallocate(ctx::stack_context& context) noexcept {
    pool->Give({static_cast<std::byte*>(context.sp) - context.size, context.size});
  }
};

size_t PageBytes() { return static_cast<size_t>(::sysconf(_SC_PAGESIZE)); }

}  // namespace

struct FiberBatch::Task {
  ctx::fiber fiber;  // the task's side: where it resumes
  ctx::fiber back;   // the lane's side, while the task runs
  std::span<std::byte> stack;
  void* fake_stack = nullptr;  // AddressSanitizer's, while the task is switched out
  bool finished = false;
  bool waiting = false;
  size_t count = 0;  // of the last statements queued, whose replies it awaits
  // What it queued since its last round trip.
  struct Run {
    const pg::Statement* statement;
    std::vector<pg::Param> params;
  };
  std::vector<Run> queued;
  std::vector<pg::Reply> replies;
};

FiberBatch::FiberBatch(pg::Connection& conn, FiberStackPool& stacks)
    : conn_(conn), stacks_(stacks) {}

FiberBatch::~FiberBatch() {
  for (const auto& task : tasks_) BO_ASSERT(task->finished);
}

bool FiberBatch::Run(std::span<const std::function<void()>> bodies) {
  BO_ASSERT(tasks_.empty() && bodies.size() <= stacks_.jobs_max());
  tasks_.reserve(bodies.size());
  for (const std::function<void()>& body : bodies) {
    auto task = std::make_unique<Task>();
    Task* t = task.get();
    t->fiber = ctx::fiber(std::allocator_arg, PooledStack{&stacks_, &t->stack},
                          [this, t, &body](ctx::fiber&& back) {
                            FinishSwitch(nullptr, &lane_stack_bottom_, &lane_stack_size_);
                            t->back = std::move(back);
                            body();
                            t->finished = true;
                            StartSwitch(nullptr, lane_stack_bottom_, lane_stack_size_);
                            return std::move(t->back);
                          });
    tasks_.push_back(std::move(task));
  }
  // Each round: run every task that can run until it waits or ends, then answer the waiting.
  for (;;) {
    bool waiting = false;
    for (const auto& task : tasks_) {
      if (!task->finished && !task->waiting) {
        current_ = task.get();
        void* fake_stack = nullptr;
        StartSwitch(&fake_stack, task->stack.data(), task->stack.size());
        task->fiber = std::move(task->fiber).resume();
        FinishSwitch(fake_stack, nullptr, nullptr);
        current_ = nullptr;
      }
      waiting = waiting || task->waiting;
    }
    if (!waiting) break;
    RoundTrip();
  }
  // What finished bodies left queued travels with the caller's next round trip.
  if (!abandoned_) {
    try {
      (void)QueuePlanned();
    } catch (const pg::PgError& e) {
      Abandon(e.sqlstate(), e.what());
    }
  }
  return !abandoned_;
}

void FiberBatch::Queue(const pg::Statement& statement, std::initializer_list<pg::Param> params) {
  Task* t = current_;
  BO_ASSERT(t != nullptr);
  if (abandoned_) throw pg::PgError(std::string(kBatchAbandoned), failure_);
  t->queued.push_back(Task::Run{&statement, std::vector<pg::Param>(params)});
}

size_t FiberBatch::queued() const {
  BO_ASSERT(current_ != nullptr);
  return current_->queued.size();
}

std::vector<pg::Reply> FiberBatch::Await(size_t last) {
  Task* t = current_;
  BO_ASSERT(t != nullptr);
  if (abandoned_) throw pg::PgError(std::string(kBatchAbandoned), failure_);
  BO_ASSERT(last <= t->queued.size());
  t->count = last;
  t->waiting = true;
  StartSwitch(&t->fake_stack, lane_stack_bottom_, lane_stack_size_);
  t->back = std::move(t->back).resume();  // to the lane, until the round trip is done
  FinishSwitch(t->fake_stack, &lane_stack_bottom_, &lane_stack_size_);
  if (abandoned_) throw pg::PgError(std::string(kBatchAbandoned), failure_);
  return std::move(t->replies);
}

std::vector<std::vector<FiberBatch::ReplySlot>> FiberBatch::QueuePlanned() {
  std::vector<std::vector<QueuedRun>> runs(tasks_.size());
  for (size_t i = 0; i < tasks_.size(); ++i) {
    const Task& task = *tasks_[i];
    const size_t awaited_from = task.waiting ? task.queued.size() - task.count : task.queued.size();
    runs[i].reserve(task.queued.size());
    for (size_t k = 0; k < task.queued.size(); ++k) {
      runs[i].push_back(QueuedRun{task.queued[k].statement, k >= awaited_from});
    }
  }
  std::vector<std::vector<ReplySlot>> slots(tasks_.size());
  for (size_t i = 0; i < tasks_.size(); ++i) slots[i].resize(runs[i].size());
  for (const StepGroup& group : PlanStep(runs)) {
    const size_t reply = conn_.queued();
    if (!group.set_based) {
      const RunRef run = group.runs.front();
      const Task::Run& queued = tasks_[run.job]->queued[run.index];
      conn_.Queue(*queued.statement, queued.params);
      slots[run.job][run.index] = ReplySlot{reply, ReplySlot::kPlain, 1};
      continue;
    }
    std::vector<const std::vector<pg::Param>*> params;
    params.reserve(group.runs.size());
    for (size_t k = 0; k < group.runs.size(); ++k) {
      const RunRef run = group.runs[k];
      params.push_back(&tasks_[run.job]->queued[run.index].params);
      slots[run.job][run.index] = ReplySlot{reply, k, group.runs.size()};
    }
    conn_.Queue(group.statement->set_form->statement, SetParams(params));
  }
  for (const auto& task : tasks_) task->queued.clear();
  return slots;
}

void FiberBatch::RoundTrip() {
  std::vector<pg::Reply> replies;
  std::vector<std::vector<ReplySlot>> slots;
  if (!abandoned_) {
    try {
      slots = QueuePlanned();
      replies = conn_.RoundTrip();
      for (const pg::Reply& reply : replies) {
        if (!reply.ok() && !reply.skipped()) {
          Abandon(reply.sqlstate(), reply.error());
          break;
        }
      }
    } catch (const pg::PgError& e) {
      Abandon(e.sqlstate(), e.what());
    }
  }
  std::map<size_t, std::vector<pg::Reply>> split;  // the replies of each set form, by run
  for (size_t i = 0; i < tasks_.size(); ++i) {
    Task& task = *tasks_[i];
    task.queued.clear();
    if (!task.waiting) continue;
    task.waiting = false;
    if (abandoned_) continue;
    task.replies.clear();
    const std::vector<ReplySlot>& mine = slots[i];
    for (size_t k = mine.size() - task.count; k < mine.size(); ++k) {
      const ReplySlot& slot = mine[k];
      BO_ASSERT(slot.reply < replies.size());
      if (slot.ordinal == ReplySlot::kPlain) {
        task.replies.push_back(std::move(replies[slot.reply]));
        continue;
      }
      auto [at, fresh] = split.try_emplace(slot.reply);
      if (fresh) at->second = SplitByOrdinal(replies[slot.reply], slot.runs);
      task.replies.push_back(std::move(at->second[slot.ordinal]));
    }
  }
}

void FiberBatch::Abandon(const std::string& sqlstate, const std::string& what) {
  abandoned_ = true;
  failure_sqlstate_ = sqlstate;
  failure_ = what;
}

FiberStackPool::FiberStackPool(size_t stack_bytes, size_t jobs_max)
    : stack_bytes_(stack_bytes), jobs_max_(jobs_max) {
  BO_ASSERT(jobs_max >= 1 && stack_bytes > 0 && stack_bytes % PageBytes() == 0);
}

FiberStackPool::~FiberStackPool() {
  BO_ASSERT(free_.size() == mapped_);  // every stack given back
  const size_t page = PageBytes();
  for (const std::span<std::byte> stack : free_) ::munmap(stack.data() - page, stack.size() + page);
}

std::span<std::byte> FiberStackPool::Take() {
  if (!free_.empty()) {
    const std::span<std::byte> stack = free_.back();
    free_.pop_back();
    return stack;
  }
  BO_ASSERT(mapped_ < jobs_max_);
  const size_t page = PageBytes();
  void* base = ::mmap(nullptr, stack_bytes_ + page, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) throw std::bad_alloc();
  // The page below the stack faults on overflow instead of overwriting a neighbour.
  const int guarded = ::mprotect(base, page, PROT_NONE);
  BO_ASSERT(guarded == 0);
  ++mapped_;
  return {static_cast<std::byte*>(base) + page, stack_bytes_};
}

void FiberStackPool::Give(std::span<std::byte> stack) {
  BO_ASSERT(free_.size() < mapped_);
  free_.push_back(stack);
}

}  // namespace bo::postgres

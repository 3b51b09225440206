// A small fixed pool of threads for slow work (password hashing), so that it never runs on
// I/O threads.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace bo {

// Bounded: Post returns false
// when queue_tasks_max tasks are waiting.
class WorkerPool {
 public:
  WorkerPool(int threads, size_t queue_tasks_max);
  ~WorkerPool();  // Shutdown()s

  // Queues `task`; returns false (and drops it) when the queue is full or after Shutdown().
  bool Post(std::function<void()> task);

  // Refuses later tasks, runs the ones already queued and joins the threads. Idempotent.
  void Shutdown();

 private:
  void Run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  size_t queue_tasks_max_;
  bool stopping_ = false;
  std::mutex join_mu_;  // serialises joining the threads
  std::vector<std::thread> threads_;
};

}  // namespace bo

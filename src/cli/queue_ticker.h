// Drives the waiting rooms on a thread of its own: an admission round every kAdmitIntervalMs
// (expiry of unused ACTIVE tokens, opening of sales, admission), recorded in the metrics.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "http/metrics.h"
#include "ports/clock.h"
#include "ports/waiting_room.h"

namespace bo {

inline constexpr int kAdmitIntervalMs = 100;

class QueueTicker {
 public:
  // `after_round` (may be empty) runs on the ticker's thread after every round, with its time.
  // REQUIRES: every reference outlives the ticker.
  QueueTicker(WaitingRoom& room, const Clock& clock, Metrics& metrics,
              std::function<void(UnixMs)> after_round);
  // Stops and joins the thread.
  ~QueueTicker();

 private:
  void Run();

  WaitingRoom& room_;
  const Clock& clock_;
  Metrics& metrics_;
  std::function<void(UnixMs)> after_round_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace bo

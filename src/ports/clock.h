// Time is injected so that expiry and retries are tested without sleeping.
#pragma once

#include <atomic>
#include <chrono>

#include "common/time.h"

namespace bo {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual UnixMs NowMs() const = 0;
};

class SystemClock final : public Clock {
 public:
  UnixMs NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that moves only when told to; for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixMs start_ms) : now_ms_(start_ms) {}
  UnixMs NowMs() const override { return now_ms_.load(); }
  void Advance(UnixMs delta_ms) { now_ms_ += delta_ms; }
  void Set(UnixMs t_ms) { now_ms_ = t_ms; }

 private:
  std::atomic<UnixMs> now_ms_;
};

}  // namespace bo

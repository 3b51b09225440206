// Gathers concurrent calls of one kind into batches, each sent as one command (one script call
// for many joins or status reads): Redis runs a script's set-up once per batch instead of once
// per call. A call is sent at once while fewer than in_flight_max batches are out; otherwise it
// waits for one to come back and goes with the others that waited meanwhile. So a lone call is
// never delayed, and batches grow only while Redis is busy.
//
// Thread-safe. Limits: at most batch_max calls per batch, at most pending_max waiting (Add
// refuses more).
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "common/assert.h"

namespace bo::redis {

struct BatchLimits {
  size_t batch_max = 64;      // calls in one command
  size_t in_flight_max = 2;   // batches sent and not yet answered
  size_t pending_max = 8192;  // calls waiting for a batch
};

template <class Call>
class CallBatcher {
 public:
  // Sends `batch` and calls `finished` once every call of it is answered.
  // REQUIRES: `finished` is called exactly once, from any thread (also from within send).
  using Send = std::function<void(std::vector<Call> batch, std::function<void()> finished)>;

  // REQUIRES: every limit >= 1.
  CallBatcher(BatchLimits limits, Send send) : limits_(limits), send_(std::move(send)) {
    BO_ASSERT(limits_.batch_max >= 1 && limits_.in_flight_max >= 1 && limits_.pending_max >= 1);
  }

  // Queues `call` for the next batch; false if pending_max calls wait already, and then
  // `call` is left as it was (the caller answers it).
  bool Add(Call&& call) {
    {
      std::lock_guard lock(mu_);
      if (pending_.size() >= limits_.pending_max) return false;
      pending_.push_back(std::move(call));
    }
    Pump();
    return true;
  }

 private:
  // Sends batches while some calls wait and fewer than in_flight_max are out.
  void Pump() {
    for (;;) {
      std::vector<Call> batch;
      {
        std::lock_guard lock(mu_);
        if (pending_.empty() || in_flight_ >= limits_.in_flight_max) return;
        const size_t n = std::min(pending_.size(), limits_.batch_max);
        batch.reserve(n);
        for (size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(pending_.front()));
          pending_.pop_front();
        }
        ++in_flight_;
      }
      send_(std::move(batch), [this] {
        {
          std::lock_guard lock(mu_);
          --in_flight_;
        }
        Pump();
      });
    }
  }

  const BatchLimits limits_;
  const Send send_;
  std::mutex mu_;
  std::deque<Call> pending_;
  size_t in_flight_ = 0;
};

}  // namespace bo::redis

// Seat holds submitted without waiting for their answers, and the answers they got: the
// reservations won, how many were refused because a seat was taken, and how many were answered
// at all. Any other answer fails the test. Thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "app/reservations.h"
#include "app/submit.h"

namespace bo::testing {

class HoldTally {
 public:
  // Submits `cmd` as one write job for any writer lane, as the API routes seat holds.
  // REQUIRES: `store` and `svc` outlive the answer.
  void Submit(Store& store, Services& svc, const ReserveSeatsCommand& cmd) {
    SubmitUseCase<Reservation>(
        store, [&svc, cmd](WriteTx& tx) { return ReserveSeats(tx, svc, cmd); },
        [this](Result<Reservation> r) {
          if (r.ok()) {
            std::lock_guard lock(mu_);
            won_.push_back(std::move(r.value()));
          } else {
            EXPECT_EQ(r.error().code, ErrorCode::kSeatUnavailable) << r.error().detail;
            ++refused_;
          }
          ++answered_;
        },
        LaneKeyOf(cmd));
  }

  // Returns once `n` holds have been answered.
  void WaitForAnswers(int n) const {
    while (answered_.load() < n) std::this_thread::yield();
  }

  std::vector<Reservation> won() const {
    std::lock_guard lock(mu_);
    return won_;
  }
  int refused() const { return refused_.load(); }

 private:
  mutable std::mutex mu_;
  std::vector<Reservation> won_;  // guarded by mu_
  std::atomic<int> refused_{0};
  std::atomic<int> answered_{0};
};

}  // namespace bo::testing

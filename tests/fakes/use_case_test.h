// The fixture every use-case test starts from: the in-memory store, a manual clock at kStart,
// time-ordered ids and holds of kHoldSeconds.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <utility>

#include "app/services.h"
#include "app/submit.h"
#include "crypto/ticket_code.h"
#include "fakes/memory_store.h"
#include "ports/clock.h"
#include "ports/id_generator.h"

namespace bo::testing {

class UseCaseTest : public ::testing::Test {
 protected:
  static constexpr UnixMs kStart = 1'790'000'000'000;
  static constexpr int kHoldSeconds = 300;
  static constexpr UnixMs kHoldMs = kHoldSeconds * 1000;

  // Runs one use case in its own write job and returns its result.
  template <class T>
  Result<T> Run(std::function<Result<T>(WriteTx&)> use_case) {
    return RunUseCase<T>(store_, std::move(use_case));
  }

  ManualClock clock_{kStart};
  TimeOrderedIdGenerator ids_{clock_};
  TicketCodeSigner signer_{"ticket-key"};
  Services svc_{clock_, ids_, HoldPolicy{kHoldSeconds}, signer_};
  MemoryStore store_;
};

}  // namespace bo::testing

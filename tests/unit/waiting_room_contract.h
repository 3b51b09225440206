// The contract of the WaitingRoom port, one suite for every adapter: each adapter's test file
// instantiates WaitingRoomContract with a factory (INSTANTIATE_TEST_SUITE_P). Time is a
// manual clock; nothing sleeps.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "ports/clock.h"
#include "ports/random.h"
#include "ports/waiting_room.h"

namespace bo::testing {

struct WaitingRoomFactory {
  std::string name;
  // A new, empty waiting room drawing on `random`; nullptr skips the suite (the adapter's
  // server is not installed).
  std::function<std::unique_ptr<WaitingRoom>(Random& random)> make;
};

// Test names and failure messages show the adapter's name.
inline void PrintTo(const WaitingRoomFactory& factory, std::ostream* os) { *os << factory.name; }

class WaitingRoomContract : public ::testing::TestWithParam<WaitingRoomFactory> {
 protected:
  static constexpr UnixMs kStart = 1'790'000'000'000;

  void SetUp() override;

  // Turns the room of `concert` on with these settings (opens_at: none).
  void Configure(const std::string& concert, int admit_per_second, int max_active,
                 int active_ttl_seconds);
  void Configure(const std::string& concert, const WaitingRoomSettings& s);
  // Joins and requires success.
  JoinOutcome Join(const std::string& concert, const std::string& user);
  // Finds and requires the token to exist.
  QueueToken Find(const std::string& token);
  // One admission round at the clock's now; requires success.
  AdmissionRound Tick();
  // Advances the clock by `ms`, ticking every `tick_ms` on the way (and at the end).
  std::int64_t AdvanceTicking(UnixMs ms, UnixMs tick_ms);
  GateVerdict Pass(const std::string& concert, const std::string& user, const std::string& token);
  std::int64_t ActiveCount();

  ManualClock clock_{kStart};
  SeededRandom random_{42};
  std::unique_ptr<WaitingRoom> room_;
};

}  // namespace bo::testing

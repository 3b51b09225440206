// The fixture of tests on PostgreSQL: an empty database of its own on the throwaway
// PostgreSQL 15 of the test process (the test is skipped where PostgreSQL is not installed),
// and the services of the use cases on a manual clock at kStartMs.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "app/services.h"
#include "crypto/ticket_code.h"
#include "fakes/postgres_server.h"
#include "ports/clock.h"
#include "ports/id_generator.h"

namespace bo::testing {

class PostgresDatabaseTest : public ::testing::Test {
 protected:
  static constexpr UnixMs kStartMs = 1'790'000'000'000;

  // A subclass's SetUp calls this first and returns if Ready() is false.
  void SetUp() override {
    server_ = PostgresServerProcess::Shared();
    if (server_ == nullptr) GTEST_SKIP() << "PostgreSQL 15 is not installed here";
    url_ = server_->CreateDatabase();
    ASSERT_FALSE(url_.empty());
  }
  bool Ready() const { return !IsSkipped() && !HasFatalFailure(); }

  PostgresServerProcess* server_ = nullptr;
  std::string url_;  // the test's database
  ManualClock clock_{kStartMs};
  TimeOrderedIdGenerator ids_{clock_};
  TicketCodeSigner signer_{"ticket-key"};
  Services svc_{clock_, ids_, HoldPolicy{300}, signer_};
};

}  // namespace bo::testing

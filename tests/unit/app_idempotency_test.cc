// Idempotency keys, and how a use case's result meets the store's commit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "app/idempotency.h"
#include "app/payments.h"
#include "app/submit.h"
#include "fakes/memory_store.h"
#include "fakes/use_case_test.h"

namespace bo {
namespace {

using bo::testing::UseCaseTest;
using ::testing::IsEmpty;

constexpr UnixMs kHourMs = 3'600'000;

class IdempotencyTest : public UseCaseTest {
 protected:
  // Charges `amount` under an Idempotency-Key, answering 201 with the transaction id.
  Result<IdempotentOutcome> ChargeOnce(const std::string& user_id, const std::string& key,
                                       const std::string& fingerprint, Money amount) {
    IdempotentRequest req{user_id, key, fingerprint};
    return RunUseCase<IdempotentOutcome>(store_, [&](WriteTx& tx) {
      return RunIdempotent(tx, svc_, req, [&](WriteTx& inner) -> Result<StoredResponse> {
        ++produced_;
        auto charged = ChargeWallet(inner, svc_, user_id, amount);
        if (!charged.ok()) return charged.error();
        return StoredResponse{"", 201, "{\"id\":\"" + charged->id + "\"}"};
      });
    });
  }

  Result<int> Prune() {
    return RunUseCase<int>(store_, [&](WriteTx& tx) { return PruneIdempotencyKeys(tx, svc_); });
  }

  bool IsStored(const std::string& user_id, const std::string& key) {
    return store_.Read()->FindIdempotentResponse(user_id, key).has_value();
  }

  int produced_ = 0;  // how many times a response was produced rather than replayed
};

TEST_F(IdempotencyTest, FirstCallRunsAndStoresTheResponse) {
  auto first = ChargeOnce("usr_alice", "key-1", "fp-a", 1'000);
  ASSERT_TRUE(first.ok()) << first.error().detail;
  EXPECT_FALSE(first->replayed);
  EXPECT_EQ(first->response.status, 201);
  EXPECT_EQ(first->response.fingerprint, "fp-a");
  EXPECT_EQ(produced_, 1);

  auto stored = store_.Read()->FindIdempotentResponse("usr_alice", "key-1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->fingerprint, "fp-a");
  EXPECT_EQ(stored->status, 201);
  EXPECT_EQ(stored->body, first->response.body);
  EXPECT_EQ(store_.Read()->WalletBalance("usr_alice"), 1'000);
}

TEST_F(IdempotencyTest, SameRequestReplaysWithoutRunningAgain) {
  auto first = ChargeOnce("usr_alice", "key-1", "fp-a", 1'000);
  ASSERT_TRUE(first.ok());
  clock_.Advance(1'000);
  auto retry = ChargeOnce("usr_alice", "key-1", "fp-a", 1'000);
  ASSERT_TRUE(retry.ok()) << retry.error().detail;
  EXPECT_TRUE(retry->replayed);
  EXPECT_EQ(retry->response.status, 201);
  EXPECT_EQ(retry->response.body, first->response.body);
  EXPECT_EQ(produced_, 1);
  EXPECT_EQ(store_.Read()->WalletBalance("usr_alice"), 1'000);  // charged once
  EXPECT_EQ(store_.EventsOfType(kEventWalletCharged).size(), 1u);
}

TEST_F(IdempotencyTest, SameKeyWithAnotherRequestIsRefused) {
  ASSERT_TRUE(ChargeOnce("usr_alice", "key-1", "fp-a", 1'000).ok());
  auto other = ChargeOnce("usr_alice", "key-1", "fp-b", 2'000);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, ErrorCode::kIdempotencyKeyReused);
  EXPECT_EQ(produced_, 1);
  EXPECT_EQ(store_.Read()->WalletBalance("usr_alice"), 1'000);
  EXPECT_EQ(store_.Read()->FindIdempotentResponse("usr_alice", "key-1").value().fingerprint,
            "fp-a");
}

TEST_F(IdempotencyTest, KeysBelongToOneUser) {
  ASSERT_TRUE(ChargeOnce("usr_alice", "key-1", "fp-a", 1'000).ok());
  auto bob = ChargeOnce("usr_bob", "key-1", "fp-b", 2'000);
  ASSERT_TRUE(bob.ok());
  EXPECT_FALSE(bob->replayed);
  EXPECT_EQ(produced_, 2);
  EXPECT_EQ(store_.Read()->WalletBalance("usr_bob"), 2'000);
}

TEST_F(IdempotencyTest, FailedAttemptStoresNothingAndMayBeRetried) {
  // Fill the wallet to the max, so that the next charge fails after its produce started.
  store_.Submit(
      WriteJob{[](WriteTx& tx) { return tx.CreditWallet("usr_alice", kBalanceMax).has_value(); },
               [](bool committed) { ASSERT_TRUE(committed); }});
  auto failed = ChargeOnce("usr_alice", "key-1", "fp-a", 1'000);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, ErrorCode::kInvalidRequest);
  EXPECT_FALSE(IsStored("usr_alice", "key-1"));
  EXPECT_THAT(store_.EventsOfType(kEventWalletCharged), IsEmpty());

  // The retry runs again rather than replaying a failure.
  auto retry = ChargeOnce("usr_alice", "key-1", "fp-a", 1'000);
  EXPECT_FALSE(retry.ok());
  EXPECT_EQ(produced_, 2);
}

TEST_F(IdempotencyTest, ProduceWritesRollBackWhenItFails) {
  IdempotentRequest req{"usr_alice", "key-1", "fp-a"};
  auto result = RunUseCase<IdempotentOutcome>(store_, [&](WriteTx& tx) {
    return RunIdempotent(tx, svc_, req, [&](WriteTx& inner) -> Result<StoredResponse> {
      EXPECT_TRUE(ChargeWallet(inner, svc_, "usr_alice", 1'000).ok());
      return MakeError(ErrorCode::kInternal, "the response could not be encoded");
    });
  });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kInternal);
  EXPECT_EQ(store_.Read()->WalletBalance("usr_alice"), 0);
  EXPECT_FALSE(IsStored("usr_alice", "key-1"));
  EXPECT_THAT(store_.Dump().wallet_transactions, IsEmpty());
}

TEST_F(IdempotencyTest, PruneForgetsOnlyKeysOlderThanTheRetention) {
  ASSERT_TRUE(ChargeOnce("usr_alice", "old", "fp", 1).ok());
  clock_.Advance(kHourMs);
  ASSERT_TRUE(ChargeOnce("usr_alice", "young", "fp", 1).ok());

  clock_.Set(kStart + 24 * kHourMs);  // "old" is exactly 24 h old: kept
  auto none = Prune();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
  EXPECT_TRUE(IsStored("usr_alice", "old"));

  clock_.Advance(1);
  auto one = Prune();
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, 1);
  EXPECT_FALSE(IsStored("usr_alice", "old"));
  EXPECT_TRUE(IsStored("usr_alice", "young"));

  // A forgotten key runs its request again.
  ASSERT_TRUE(ChargeOnce("usr_alice", "old", "fp", 1).ok());
  EXPECT_EQ(produced_, 3);

  clock_.Set(kStart + 25 * kHourMs + 1);
  auto last = Prune();
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, 1);
  EXPECT_FALSE(IsStored("usr_alice", "young"));
  EXPECT_TRUE(IsStored("usr_alice", "old"));  // stored again just now
}

class SubmitTest : public IdempotencyTest {
 protected:
  Result<WalletTransaction> SubmitCharge(Money amount) {
    std::optional<Result<WalletTransaction>> reply;
    SubmitUseCase<WalletTransaction>(
        store_, [&](WriteTx& tx) { return ChargeWallet(tx, svc_, "usr_alice", amount); },
        [&](Result<WalletTransaction> r) { reply.emplace(std::move(r)); });
    EXPECT_TRUE(reply.has_value()) << "the reply is due once the job ended";
    return reply.value_or(MakeError(ErrorCode::kInternal, "no reply"));
  }
};

// Runs every job twice in its transaction, as a store runs a job again when its batch is
// retried or rerun one job at a time; a run that throws undoes the job's writes.
class TwiceRunningStore final : public Store {
 public:
  explicit TwiceRunningStore(testing::MemoryStore& inner) : inner_(inner) {}
  void Submit(WriteJob job) override {
    auto run = std::move(job.run);
    inner_.Submit(WriteJob{[run](WriteTx& tx) {
                             (void)run(tx);
                             return run(tx);
                           },
                           std::move(job.done), std::move(job.lane_key)});
  }
  std::shared_ptr<StoreReader> Read() override { return inner_.Read(); }
  bool Ping() override { return inner_.Ping(); }
  std::vector<AuditCheck> Audit() override { return inner_.Audit(); }
  StoreStats Stats() override { return inner_.Stats(); }
  void Close() override { inner_.Close(); }

 private:
  testing::MemoryStore& inner_;
};

TEST_F(SubmitTest, ARunAgainThatThrowsIsAnsweredUnavailableNotWithTheUndoneRun) {
  TwiceRunningStore twice(store_);
  int runs = 0;
  std::optional<Result<WalletTransaction>> reply;
  SubmitUseCase<WalletTransaction>(
      twice,
      [&](WriteTx& tx) -> Result<WalletTransaction> {
        if (++runs == 2) throw std::runtime_error("connection lost mid-job");
        return ChargeWallet(tx, svc_, "usr_alice", 1'000);
      },
      [&](Result<WalletTransaction> r) { reply.emplace(std::move(r)); });
  EXPECT_EQ(runs, 2);
  ASSERT_TRUE(reply.has_value());
  ASSERT_FALSE(reply->ok()) << "answered the first run, whose writes were undone";
  EXPECT_EQ(reply->error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store_.Read()->WalletBalance("usr_alice"), 0);
  EXPECT_THAT(store_.EventsOfType(kEventWalletCharged), IsEmpty());
}

TEST_F(SubmitTest, FailedCommitIsReportedUnavailableAndKeepsNothing) {
  store_.FailNextCommit();
  auto lost = SubmitCharge(1'000);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(store_.Read()->WalletBalance("usr_alice"), 0);
  EXPECT_THAT(store_.Dump().wallet_transactions, IsEmpty());
  EXPECT_THAT(store_.EventsOfType(kEventWalletCharged), IsEmpty());

  // Only the next commit fails.
  auto kept = SubmitCharge(1'000);
  ASSERT_TRUE(kept.ok()) << kept.error().detail;
  EXPECT_EQ(store_.Read()->WalletBalance("usr_alice"), 1'000);
}

TEST_F(SubmitTest, FailedUseCaseReportsItsOwnErrorEvenWhenTheCommitFails) {
  store_.FailNextCommit();
  auto r = RunUseCase<Payment>(
      store_, [&](WriteTx& tx) { return PayReservation(tx, svc_, "usr_alice", "res_nope"); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST_F(SubmitTest, JobThatFailsOrThrowsKeepsNoneOfItsWrites) {
  std::vector<bool> committed;
  auto done = [&](bool c) { committed.push_back(c); };
  auto credit_then = [](bool keep) {
    return [keep](WriteTx& tx) {
      EXPECT_TRUE(tx.CreditWallet("usr_alice", 500).has_value());
      EXPECT_EQ(tx.WalletBalance("usr_alice"), 500);  // the job sees its own writes
      return keep;
    };
  };
  store_.Submit(WriteJob{credit_then(false), done});
  store_.Submit(WriteJob{[](WriteTx& tx) -> bool {
                           tx.CreditWallet("usr_alice", 500);
                           throw std::runtime_error("disk on fire");
                         },
                         done});
  EXPECT_EQ(store_.Read()->WalletBalance("usr_alice"), 0);

  store_.Submit(WriteJob{credit_then(true), done});
  EXPECT_EQ(store_.Read()->WalletBalance("usr_alice"), 500);
  // A job that failed alone still ended in a committed transaction.
  EXPECT_EQ(committed, (std::vector<bool>{true, true, true}));
}

}  // namespace
}  // namespace bo

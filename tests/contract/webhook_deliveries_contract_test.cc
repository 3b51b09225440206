// The WebhookDeliveries port against both real stores (SQLite in a file, PostgreSQL in a
// throwaway server), so that the webhook routes and the dispatcher see one behaviour on either
// shape: endpoints kept and deleted with their deliveries, what is due and in which order, each
// attempt recorded as delivered, retried or given up, disabling, the delivery log, pruning, and
// on a store that claims (PostgreSQL, shared by several instances) claims that no two
// instances ever share and that lapse after their lease.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "fakes/store_under_test.h"

namespace bo {
namespace {

constexpr UnixMs kCreatedMs = 1'790'000'000'000;

class WebhookDeliveriesContractTest : public ::testing::TestWithParam<testing::StoreKind> {
 protected:
  void SetUp() override {
    under_test_ = testing::MakeStoreUnderTest(GetParam());
    if (!under_test_) GTEST_SKIP() << "PostgreSQL 15 is not installed here";
    deliveries_ = under_test_->NewWebhookDeliveries();
  }

  WebhookDeliveries& deliveries() { return *deliveries_; }

  WebhookEndpoint AddEndpoint(const std::string& id) {
    WebhookEndpoint e;
    e.id = id;
    e.url = "http://127.0.0.1:9/" + id;
    e.event_types = {"payment.completed", "wallet.charged"};
    e.secret = "whsec_c2VjcmV0LW9mLQ==" + id;
    e.created_at_ms = kCreatedMs;
    deliveries().InsertEndpoint(e);
    return e;
  }

  // The event `seq` (once) and its delivery to `endpoint_id`, pending at `due_ms` (0: not
  // pending), written as the fan-out of each store writes them.
  void Seed(const std::string& endpoint_id, std::int64_t seq, UnixMs due_ms,
            UnixMs created_ms = kCreatedMs) {
    const std::string s = std::to_string(seq);
    if (events_.insert(seq).second) {
      // The embedded store reads an event's body from its outbox; PostgreSQL from the copy the
      // relay made for webhooks (its outbox rows are pruned once streamed).
      const char* table = GetParam() == testing::StoreKind::kSqlite ? "outbox" : "webhook_events";
      under_test_->ExecRaw(std::string("INSERT INTO ") + table +
                           "(seq, id, type, time_ms, data) VALUES (" + s + ", 'evt_" + s +
                           "', 'payment.completed', " + std::to_string(kCreatedMs + seq) +
                           ", '{\"id\":\"pay_" + s + "\"}')");
    }
    under_test_->ExecRaw(
        "INSERT INTO webhook_deliveries(endpoint_id, event_id, event_seq, type, created_at_ms,"
        " next_attempt_at_ms) VALUES ('" +
        endpoint_id + "', 'evt_" + s + "', " + s + ", 'payment.completed', " +
        std::to_string(created_ms) + ", " + (due_ms != 0 ? std::to_string(due_ms) : "NULL") + ")");
  }

  static std::vector<std::int64_t> Seqs(const std::vector<DueDelivery>& due) {
    std::vector<std::int64_t> out;
    for (const auto& d : due) out.push_back(d.delivery.event_seq);
    return out;
  }

  static std::vector<std::int64_t> Seqs(const std::vector<WebhookDelivery>& log) {
    std::vector<std::int64_t> out;
    for (const auto& d : log) out.push_back(d.event_seq);
    return out;
  }

  // The delivery of event `seq` in `endpoint_id`'s log. REQUIRES: it is there.
  WebhookDelivery Logged(const std::string& endpoint_id, std::int64_t seq) {
    for (const auto& d : deliveries().ListDeliveries(endpoint_id, 100)) {
      if (d.event_seq == seq) return d;
    }
    ADD_FAILURE() << "no delivery of event " << seq << " to " << endpoint_id;
    return {};
  }

  static DeliveryAttempt Attempt(const std::string& endpoint_id, std::int64_t seq, int status,
                                 UnixMs delivered_at_ms, UnixMs next_attempt_at_ms) {
    return DeliveryAttempt{endpoint_id, "evt_" + std::to_string(seq), status, delivered_at_ms,
                           next_attempt_at_ms};
  }

  std::unique_ptr<testing::StoreUnderTest> under_test_;
  std::unique_ptr<WebhookDeliveries> deliveries_;
  std::set<std::int64_t> events_;
};

TEST_P(WebhookDeliveriesContractTest,
       EndpointsAreKeptListedInIdOrderAndDeletedWithTheirDeliveries) {
  const auto b = AddEndpoint("wh_b");
  const auto a = AddEndpoint("wh_a");
  const auto listed = deliveries().ListEndpoints(10);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].id, "wh_a");
  EXPECT_EQ(listed[1].id, "wh_b");
  EXPECT_EQ(listed[0].url, a.url);
  EXPECT_EQ(listed[0].event_types, a.event_types);
  EXPECT_EQ(listed[0].secret, a.secret);
  EXPECT_EQ(listed[0].created_at_ms, kCreatedMs);
  EXPECT_EQ(listed[0].disabled_at_ms, 0);
  EXPECT_EQ(deliveries().ListEndpoints(1).size(), 1u);
  ASSERT_TRUE(deliveries().FindEndpoint("wh_b").has_value());
  EXPECT_EQ(deliveries().FindEndpoint("wh_b")->url, b.url);
  EXPECT_FALSE(deliveries().FindEndpoint("wh_x").has_value());

  Seed("wh_a", 1, 100);
  Seed("wh_b", 1, 100);
  EXPECT_TRUE(deliveries().DeleteEndpoint("wh_a"));
  EXPECT_FALSE(deliveries().DeleteEndpoint("wh_a"));
  EXPECT_FALSE(deliveries().FindEndpoint("wh_a").has_value());
  EXPECT_TRUE(deliveries().ListDeliveries("wh_a", 10).empty());
  EXPECT_TRUE(deliveries().DueDeliveries("wh_a", 1'000, 10).empty());
  EXPECT_EQ(Seqs(deliveries().ListDeliveries("wh_b", 10)), std::vector<std::int64_t>{1});
}

TEST_P(WebhookDeliveriesContractTest, DueDeliveriesAreTheEarliestPendingOnesWithTheirEvent) {
  const auto e = AddEndpoint("wh_a");
  AddEndpoint("wh_b");
  Seed("wh_a", 1, 300);
  Seed("wh_a", 2, 100);
  Seed("wh_a", 3, 200);
  Seed("wh_a", 4, 100);  // as early as 2: the older event first
  Seed("wh_a", 5, 0);    // not pending
  Seed("wh_a", 6, 251);  // not yet due
  Seed("wh_b", 7, 100);  // another endpoint's

  const auto first = deliveries().DueDeliveries("wh_a", 250, 2);
  EXPECT_EQ(Seqs(first), (std::vector<std::int64_t>{2, 4}));
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(first[0].url, e.url);
  EXPECT_EQ(first[0].secret, e.secret);
  EXPECT_EQ(first[0].event_time_ms, kCreatedMs + 2);
  EXPECT_EQ(first[0].data_json, "{\"id\":\"pay_2\"}");
  EXPECT_EQ(first[0].delivery.event_id, "evt_2");
  EXPECT_EQ(first[0].delivery.type, "payment.completed");
  EXPECT_EQ(first[0].delivery.attempts, 0);
  EXPECT_EQ(first[0].delivery.last_status, -1);

  // A store that claims does not hand out what it just claimed; one that does not hands the
  // same deliveries out again until an attempt is recorded.
  const auto rest = deliveries().DueDeliveries("wh_a", 250, 10);
  if (deliveries().ClaimsDue()) {
    EXPECT_EQ(Seqs(rest), (std::vector<std::int64_t>{3}));
  } else {
    EXPECT_EQ(Seqs(rest), (std::vector<std::int64_t>{2, 4, 3}));
  }
  EXPECT_TRUE(deliveries().DueDeliveries("wh_x", 250, 10).empty());
}

TEST_P(WebhookDeliveriesContractTest, AnAttemptIsRecordedAsDeliveredRetriedOrGivenUp) {
  AddEndpoint("wh_a");
  Seed("wh_a", 1, 100);
  Seed("wh_a", 2, 100);
  Seed("wh_a", 3, 100);
  deliveries().RecordAttempt(Attempt("wh_a", 1, 200, /*delivered_at_ms=*/150, 0));
  deliveries().RecordAttempt(Attempt("wh_a", 2, 500, 0, /*next_attempt_at_ms=*/5'000));
  deliveries().RecordAttempt(Attempt("wh_a", 3, 0, 0, 0));  // no answer, given up

  const auto delivered = Logged("wh_a", 1);
  EXPECT_EQ(delivered.attempts, 1);
  EXPECT_EQ(delivered.last_status, 200);
  EXPECT_EQ(delivered.delivered_at_ms, 150);
  EXPECT_EQ(delivered.next_attempt_at_ms, 0);
  const auto retried = Logged("wh_a", 2);
  EXPECT_EQ(retried.attempts, 1);
  EXPECT_EQ(retried.last_status, 500);
  EXPECT_EQ(retried.delivered_at_ms, 0);
  EXPECT_EQ(retried.next_attempt_at_ms, 5'000);
  const auto given_up = Logged("wh_a", 3);
  EXPECT_EQ(given_up.attempts, 1);
  EXPECT_EQ(given_up.last_status, 0);
  EXPECT_EQ(given_up.delivered_at_ms, 0);
  EXPECT_EQ(given_up.next_attempt_at_ms, 0);

  EXPECT_TRUE(deliveries().DueDeliveries("wh_a", 4'999, 10).empty());
  EXPECT_EQ(Seqs(deliveries().DueDeliveries("wh_a", 5'000, 10)), std::vector<std::int64_t>{2});
  // An attempt of a delivery no longer pending (a late answer) changes nothing.
  deliveries().RecordAttempt(Attempt("wh_a", 1, 500, 0, 9'000));
  deliveries().RecordAttempt(Attempt("wh_a", 3, 200, 9'000, 0));
  EXPECT_EQ(Logged("wh_a", 1).attempts, 1);
  EXPECT_EQ(Logged("wh_a", 1).next_attempt_at_ms, 0);
  EXPECT_EQ(Logged("wh_a", 3).delivered_at_ms, 0);
}

TEST_P(WebhookDeliveriesContractTest, DisablingAnEndpointGivesUpOnlyItsPendingDeliveries) {
  AddEndpoint("wh_a");
  AddEndpoint("wh_b");
  Seed("wh_a", 1, 100);
  Seed("wh_a", 2, 100);
  Seed("wh_b", 1, 100);
  deliveries().RecordAttempt(Attempt("wh_a", 2, 200, 120, 0));

  deliveries().DisableEndpoint("wh_a", 500);
  EXPECT_EQ(deliveries().FindEndpoint("wh_a")->disabled_at_ms, 500);
  deliveries().DisableEndpoint("wh_a", 900);  // a second 410 keeps the first time
  EXPECT_EQ(deliveries().FindEndpoint("wh_a")->disabled_at_ms, 500);
  EXPECT_TRUE(deliveries().DueDeliveries("wh_a", 1'000, 10).empty());
  EXPECT_EQ(Logged("wh_a", 1).next_attempt_at_ms, 0);
  EXPECT_EQ(Logged("wh_a", 1).delivered_at_ms, 0);
  EXPECT_EQ(Logged("wh_a", 2).delivered_at_ms, 120);
  EXPECT_EQ(deliveries().FindEndpoint("wh_b")->disabled_at_ms, 0);
  EXPECT_EQ(Seqs(deliveries().DueDeliveries("wh_b", 1'000, 10)), std::vector<std::int64_t>{1});
}

TEST_P(WebhookDeliveriesContractTest, TheLogIsNewestEventFirstAtMostLimit) {
  AddEndpoint("wh_a");
  for (std::int64_t seq = 1; seq <= 5; ++seq) Seed("wh_a", seq, 100);
  EXPECT_EQ(Seqs(deliveries().ListDeliveries("wh_a", 3)), (std::vector<std::int64_t>{5, 4, 3}));
  EXPECT_TRUE(deliveries().ListDeliveries("wh_x", 3).empty());
}

TEST_P(WebhookDeliveriesContractTest, PruningRemovesOnlyFinishedDeliveriesCreatedBefore) {
  AddEndpoint("wh_a");
  Seed("wh_a", 1, 100, /*created_ms=*/100);
  Seed("wh_a", 2, 100, 100);  // pending: kept
  Seed("wh_a", 3, 100, 900);  // too young: kept
  Seed("wh_a", 4, 100, 100);
  Seed("wh_a", 5, 100, 100);
  deliveries().RecordAttempt(Attempt("wh_a", 1, 200, 150, 0));
  deliveries().RecordAttempt(Attempt("wh_a", 3, 200, 950, 0));
  deliveries().RecordAttempt(Attempt("wh_a", 4, 0, 0, 0));
  deliveries().RecordAttempt(Attempt("wh_a", 5, 200, 150, 0));

  EXPECT_EQ(deliveries().PruneDeliveries(500, 2), 2);
  EXPECT_EQ(deliveries().PruneDeliveries(500, 10), 1);
  EXPECT_EQ(deliveries().PruneDeliveries(500, 10), 0);
  EXPECT_EQ(Seqs(deliveries().ListDeliveries("wh_a", 10)), (std::vector<std::int64_t>{3, 2}));
}

TEST_P(WebhookDeliveriesContractTest, AnotherInstanceSeesAClaimOnlyUntilItsLeaseLapses) {
  AddEndpoint("wh_a");
  Seed("wh_a", 1, 100);
  const auto other = under_test_->NewWebhookDeliveries();  // as a second instance would
  EXPECT_EQ(Seqs(deliveries().DueDeliveries("wh_a", 1'000, 10)), std::vector<std::int64_t>{1});
  const auto meanwhile = other->DueDeliveries("wh_a", 1'000, 10);
  if (deliveries().ClaimsDue()) {
    EXPECT_TRUE(meanwhile.empty());
    // The first claimer died mid-attempt: after the lease the delivery is due again.
    EXPECT_TRUE(
        other->DueDeliveries("wh_a", 1'000 + testing::kWebhookClaimLeaseMs - 1, 10).empty());
  } else {
    EXPECT_EQ(Seqs(meanwhile), std::vector<std::int64_t>{1});
  }
  const auto lapsed = other->DueDeliveries("wh_a", 1'000 + testing::kWebhookClaimLeaseMs, 10);
  EXPECT_EQ(Seqs(lapsed), std::vector<std::int64_t>{1});
  // The late first attempt still counts: an attempt is recorded while the delivery is pending.
  deliveries().RecordAttempt(Attempt("wh_a", 1, 200, 1'500, 0));
  EXPECT_EQ(Logged("wh_a", 1).delivered_at_ms, 1'500);
  EXPECT_TRUE(other->DueDeliveries("wh_a", 1'000'000'000, 10).empty());
}

INSTANTIATE_TEST_SUITE_P(Stores, WebhookDeliveriesContractTest,
                         ::testing::Values(testing::StoreKind::kSqlite,
                                           testing::StoreKind::kPostgres),
                         [](const auto& info) { return testing::StoreKindName(info.param); });

// Several instances claiming the deliveries of one endpoint at the same moment: each delivery
// goes to exactly one of them.
TEST(PgWebhookDeliveries, ConcurrentClaimersNeverTakeTheSameDelivery) {
  const auto under_test = testing::MakeStoreUnderTest(testing::StoreKind::kPostgres);
  if (!under_test) GTEST_SKIP() << "PostgreSQL 15 is not installed here";
  constexpr int kDeliveries = 400, kInstances = 4, kLimit = 7;
  auto first = under_test->NewWebhookDeliveries();
  first->InsertEndpoint(
      WebhookEndpoint{"wh_a", "http://127.0.0.1:9/", {"*"}, "whsec_AA==", kCreatedMs, 0});
  under_test->ExecRaw(
      "INSERT INTO webhook_events(seq, id, type, time_ms, data) SELECT s, 'evt_' || s,"
      " 'payment.completed', s, '{}' FROM generate_series(1, " +
      std::to_string(kDeliveries) +
      ") s;"
      " INSERT INTO webhook_deliveries(endpoint_id, event_id, event_seq, type, created_at_ms,"
      " next_attempt_at_ms) SELECT 'wh_a', 'evt_' || s, s, 'payment.completed', 0, 100"
      " FROM generate_series(1, " +
      std::to_string(kDeliveries) + ") s");
  std::vector<std::unique_ptr<WebhookDeliveries>> instances;
  instances.push_back(std::move(first));
  while (instances.size() < kInstances) instances.push_back(under_test->NewWebhookDeliveries());
  std::vector<std::vector<std::int64_t>> claimed(kInstances);
  std::vector<std::thread> threads;
  for (int i = 0; i < kInstances; ++i) {
    threads.emplace_back([&, i] {
      for (;;) {
        const auto due = instances[i]->DueDeliveries("wh_a", 1'000, kLimit);
        if (due.empty()) return;
        for (const auto& d : due) claimed[i].push_back(d.delivery.event_seq);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::multiset<std::int64_t> all;
  for (const auto& c : claimed) all.insert(c.begin(), c.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kDeliveries));
  EXPECT_EQ(std::set<std::int64_t>(all.begin(), all.end()).size(),
            static_cast<size_t>(kDeliveries));
}

}  // namespace
}  // namespace bo

// Charging the wallet and paying holds over the in-memory store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/catalog.h"
#include "app/payments.h"
#include "app/reservations.h"
#include "app/submit.h"
#include "fakes/memory_store.h"
#include "fakes/use_case_test.h"

namespace bo {
namespace {

using bo::testing::UseCaseTest;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class PaymentsTest : public UseCaseTest {
 protected:
  // One schedule with seats at 10 000 and 20 000 and 5 standing units at 5 000.
  void SetUp() override {
    auto concert = Run<Concert>([&](WriteTx& tx) {
      return CreateConcert(tx, svc_, {"Winter Gala", "Orchestra", "Hall"});
    });
    ASSERT_TRUE(concert.ok());
    CreateScheduleCommand cmd;
    cmd.concert_id = concert->id;
    cmd.starts_at_ms = kStart + 86'400'000;
    cmd.seats = {{"A", "1", 1, "R", 10'000}, {"A", "1", 2, "S", 20'000}};
    cmd.ticket_types = {{"Standing", 5'000, 5}};
    auto schedule = Run<Schedule>([&](WriteTx& tx) { return CreateSchedule(tx, svc_, cmd); });
    ASSERT_TRUE(schedule.ok());
    schedule_id_ = schedule->id;
    standing_ = schedule->ticket_types.at(0).id;
    for (const auto& seat : store_.Read()->ListSeats(schedule_id_)) seats_.push_back(seat.id);
    ASSERT_EQ(seats_.size(), 2u);
  }

  Result<WalletTransaction> Charge(const std::string& user_id, Money amount) {
    return Run<WalletTransaction>(
        [&](WriteTx& tx) { return ChargeWallet(tx, svc_, user_id, amount); });
  }
  // Both seats: 30 000.
  Reservation HoldBothSeats(const std::string& user_id) {
    ReserveSeatsCommand cmd{user_id, schedule_id_, seats_};
    auto r = Run<Reservation>([&](WriteTx& tx) { return ReserveSeats(tx, svc_, cmd); });
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : Reservation{};
  }
  Reservation HoldUnits(const std::string& user_id, int quantity) {
    ReserveTicketsCommand cmd{user_id, schedule_id_, standing_, quantity};
    auto r = Run<Reservation>([&](WriteTx& tx) { return ReserveTickets(tx, svc_, cmd); });
    EXPECT_TRUE(r.ok());
    return r.ok() ? *r : Reservation{};
  }
  Result<Payment> Pay(const std::string& user_id, const std::string& reservation_id) {
    return Run<Payment>(
        [&](WriteTx& tx) { return PayReservation(tx, svc_, user_id, reservation_id); });
  }
  Result<int> Expire() {
    return Run<int>([&](WriteTx& tx) { return ExpireHolds(tx, svc_, ""); });
  }

  ReservationStatus StatusOf(const std::string& reservation_id) {
    return store_.Read()->FindReservation(reservation_id).value().status;
  }
  SeatStatus SeatStatusOf(const std::string& seat_id) {
    return store_.Read()->FindSeat(seat_id).value().status;
  }
  Money Balance(const std::string& user_id) { return store_.Read()->WalletBalance(user_id); }
  std::vector<WalletTransaction> WalletHistory(const std::string& user_id) {
    return store_.Read()->ListWalletTransactions(user_id, "", 100).items;
  }

  // Checks that no attempt to pay left a trace: the hold is as it was and no money moved.
  void ExpectNothingPaid(const Reservation& r, ReservationStatus status, Money balance) {
    EXPECT_EQ(StatusOf(r.id), status);
    EXPECT_EQ(Balance(r.user_id), balance);
    for (const auto& t : WalletHistory(r.user_id)) EXPECT_NE(t.kind, WalletTxKind::kPayment);
    const auto state = store_.Dump();
    EXPECT_THAT(state.payments, IsEmpty());
    EXPECT_THAT(state.tickets, IsEmpty());
    EXPECT_THAT(store_.EventsOfType(kEventPaymentCompleted), IsEmpty());
    for (const auto& seat_id : r.seat_ids) EXPECT_NE(SeatStatusOf(seat_id), SeatStatus::kSold);
  }

  std::string schedule_id_;
  std::string standing_;
  std::vector<std::string> seats_;
};

TEST_F(PaymentsTest, PaymentBeforeExpirySellsTheSeatsAndIssuesSignedTickets) {
  ASSERT_TRUE(Charge("usr_alice", 100'000).ok());
  const Reservation r = HoldBothSeats("usr_alice");
  clock_.Advance(kHoldMs - 1);

  auto p = Pay("usr_alice", r.id);
  ASSERT_TRUE(p.ok()) << p.error().detail;
  EXPECT_EQ(p->reservation_id, r.id);
  EXPECT_EQ(p->user_id, "usr_alice");
  EXPECT_EQ(p->amount, 30'000);
  EXPECT_EQ(p->method, "POINTS");
  EXPECT_EQ(p->status, "PAID");

  EXPECT_EQ(StatusOf(r.id), ReservationStatus::kPaid);
  EXPECT_EQ(SeatStatusOf(seats_[0]), SeatStatus::kSold);
  EXPECT_EQ(SeatStatusOf(seats_[1]), SeatStatus::kSold);
  EXPECT_EQ(store_.Read()->FindSchedule(schedule_id_).value().seats_available, 0);

  // One ticket per seat, in the reservation's seat order, each with a code only the key signs.
  auto stored = store_.Read()->FindPayment(p->id);
  ASSERT_TRUE(stored.has_value());
  ASSERT_EQ(stored->tickets.size(), 2u);
  TicketCodeSigner other_key("another-key");
  for (size_t i = 0; i < 2; ++i) {
    const Ticket& t = stored->tickets[i];
    EXPECT_EQ(t.seat_id, seats_[i]);
    EXPECT_EQ(t.reservation_id, r.id);
    EXPECT_EQ(t.status, TicketStatus::kValid);
    EXPECT_TRUE(signer_.Verify(t.code, t)) << t.code;
    EXPECT_FALSE(other_key.Verify(t.code, t));
    std::string forged = t.code;
    forged.back() = forged.back() == 'A' ? 'B' : 'A';
    EXPECT_FALSE(signer_.Verify(forged, t)) << forged;
    Ticket other_seat = t;
    other_seat.seat_id = seats_[1 - i];
    EXPECT_FALSE(signer_.Verify(t.code, other_seat));
  }
  EXPECT_EQ(store_.Read()->ListTickets("usr_alice", "", 10).items.size(), 2u);

  EXPECT_EQ(Balance("usr_alice"), 70'000);
  const auto history = WalletHistory("usr_alice");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].kind, WalletTxKind::kPayment);  // newest first
  EXPECT_EQ(history[0].amount, 30'000);
  EXPECT_EQ(history[0].balance_after, 70'000);
  EXPECT_EQ(history[0].payment_id, p->id);
  EXPECT_EQ(history[1].kind, WalletTxKind::kCharge);

  const auto events = store_.EventsOfType(kEventPaymentCompleted);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_THAT(events[0].data_json, HasSubstr("{\"id\":\"" + p->id + "\""));
}

TEST_F(PaymentsTest, PaymentOfUnitsIssuesOneTicketPerUnit) {
  ASSERT_TRUE(Charge("usr_alice", 15'000).ok());
  const Reservation r = HoldUnits("usr_alice", 3);
  auto p = Pay("usr_alice", r.id);
  ASSERT_TRUE(p.ok()) << p.error().detail;
  ASSERT_EQ(p->tickets.size(), 3u);
  for (const auto& t : p->tickets) {
    EXPECT_EQ(t.ticket_type_id, standing_);
    EXPECT_EQ(t.seat_id, "");
    EXPECT_TRUE(signer_.Verify(t.code, t));
  }
  EXPECT_EQ(store_.Read()->FindPayment(p->id).value().tickets.size(), 3u);
  EXPECT_EQ(store_.Read()->FindTicketType(standing_).value().taken, 3);  // sold units stay taken
  EXPECT_EQ(Balance("usr_alice"), 0);                                    // exactly enough
}

TEST_F(PaymentsTest, PaymentAtOrAfterExpiryIsRejectedAndChangesNothing) {
  ASSERT_TRUE(Charge("usr_alice", 100'000).ok());
  const Reservation r = HoldBothSeats("usr_alice");

  clock_.Advance(kHoldMs);  // now == expires_at
  auto at = Pay("usr_alice", r.id);
  ASSERT_FALSE(at.ok());
  EXPECT_EQ(at.error().code, ErrorCode::kReservationExpired);
  ExpectNothingPaid(r, ReservationStatus::kHeld, 100'000);

  clock_.Advance(60'000);
  auto after = Pay("usr_alice", r.id);
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().code, ErrorCode::kReservationExpired);
  ExpectNothingPaid(r, ReservationStatus::kHeld, 100'000);
}

TEST_F(PaymentsTest, ExpiryAfterPaymentDoesNothing) {
  ASSERT_TRUE(Charge("usr_alice", 100'000).ok());
  const Reservation r = HoldBothSeats("usr_alice");
  clock_.Advance(kHoldMs - 1);
  ASSERT_TRUE(Pay("usr_alice", r.id).ok());

  clock_.Advance(1);
  auto expired = Expire();
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(*expired, 0);
  EXPECT_EQ(StatusOf(r.id), ReservationStatus::kPaid);
  EXPECT_EQ(SeatStatusOf(seats_[0]), SeatStatus::kSold);
  EXPECT_EQ(store_.Read()->FindSchedule(schedule_id_).value().seats_available, 0);
  EXPECT_THAT(store_.EventsOfType(kEventReservationExpired), IsEmpty());
  EXPECT_EQ(Balance("usr_alice"), 70'000);
}

TEST_F(PaymentsTest, PaymentAfterExpiryLosesAndMovesNoMoney) {
  ASSERT_TRUE(Charge("usr_alice", 100'000).ok());
  const Reservation r = HoldBothSeats("usr_alice");
  clock_.Advance(kHoldMs);
  auto expired = Expire();
  ASSERT_TRUE(expired.ok());
  ASSERT_EQ(*expired, 1);

  auto p = Pay("usr_alice", r.id);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kReservationExpired);
  ExpectNothingPaid(r, ReservationStatus::kExpired, 100'000);
  EXPECT_EQ(SeatStatusOf(seats_[0]), SeatStatus::kAvailable);
}

// The store-level race: at one instant exactly one of pay and expire can move a HELD
// reservation, whichever runs first.
TEST_F(PaymentsTest, PayAndExpireNeverBothWin) {
  const Reservation r = HoldUnits("usr_alice", 1);
  for (UnixMs now : {r.expires_at_ms - 1, r.expires_at_ms}) {
    for (bool pay_first : {true, false}) {
      bool paid = false;
      bool expired = false;
      store_.Submit(WriteJob{[&](WriteTx& tx) {
                               auto pay = [&] {
                                 paid = tx.TransitionReservation(r.id, ReservationStatus::kHeld,
                                                                 ReservationStatus::kPaid,
                                                                 ExpiryGuard::kBeforeExpiry, now);
                               };
                               auto expire = [&] {
                                 expired = tx.TransitionReservation(
                                     r.id, ReservationStatus::kHeld, ReservationStatus::kExpired,
                                     ExpiryGuard::kAtOrAfterExpiry, now);
                               };
                               if (pay_first) {
                                 pay();
                                 expire();
                               } else {
                                 expire();
                                 pay();
                               }
                               return false;  // leave the hold for the next round
                             },
                             [](bool) {}});
      EXPECT_NE(paid, expired) << "now=" << now << " pay_first=" << pay_first;
      EXPECT_EQ(paid, now < r.expires_at_ms);
    }
  }
  EXPECT_EQ(StatusOf(r.id), ReservationStatus::kHeld);
}

TEST_F(PaymentsTest, InsufficientBalanceChangesNothing) {
  ASSERT_TRUE(Charge("usr_alice", 29'999).ok());
  const Reservation r = HoldBothSeats("usr_alice");
  auto p = Pay("usr_alice", r.id);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kInsufficientBalance);
  ExpectNothingPaid(r, ReservationStatus::kHeld, 29'999);
  EXPECT_EQ(SeatStatusOf(seats_[0]), SeatStatus::kHeld);
  EXPECT_EQ(WalletHistory("usr_alice").size(), 1u);

  // One more point covers it exactly.
  ASSERT_TRUE(Charge("usr_alice", 1).ok());
  ASSERT_TRUE(Pay("usr_alice", r.id).ok());
  EXPECT_EQ(Balance("usr_alice"), 0);
}

TEST_F(PaymentsTest, PaymentWithoutAWalletIsInsufficientBalance) {
  const Reservation r = HoldUnits("usr_alice", 1);
  auto p = Pay("usr_alice", r.id);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kInsufficientBalance);
  ExpectNothingPaid(r, ReservationStatus::kHeld, 0);
}

TEST_F(PaymentsTest, PayingTwiceIsInvalidStateAndChargesOnce) {
  ASSERT_TRUE(Charge("usr_alice", 100'000).ok());
  const Reservation r = HoldBothSeats("usr_alice");
  ASSERT_TRUE(Pay("usr_alice", r.id).ok());
  auto again = Pay("usr_alice", r.id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidState);
  EXPECT_EQ(Balance("usr_alice"), 70'000);
  EXPECT_EQ(store_.Dump().payments.size(), 1u);
  EXPECT_EQ(store_.Dump().tickets.size(), 2u);
  EXPECT_EQ(store_.EventsOfType(kEventPaymentCompleted).size(), 1u);

  clock_.Advance(kHoldMs);  // past the hold, a paid reservation is still paid, not expired
  auto late = Pay("usr_alice", r.id);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kInvalidState);
}

TEST_F(PaymentsTest, AnotherUsersReservationIsNotFoundForPayAndCancel) {
  ASSERT_TRUE(Charge("usr_bob", 100'000).ok());
  const Reservation r = HoldBothSeats("usr_alice");

  auto pay = Pay("usr_bob", r.id);
  ASSERT_FALSE(pay.ok());
  EXPECT_EQ(pay.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(Balance("usr_bob"), 100'000);

  auto cancel =
      Run<Reservation>([&](WriteTx& tx) { return CancelReservation(tx, svc_, "usr_bob", r.id); });
  ASSERT_FALSE(cancel.ok());
  EXPECT_EQ(cancel.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(StatusOf(r.id), ReservationStatus::kHeld);
  EXPECT_EQ(SeatStatusOf(seats_[0]), SeatStatus::kHeld);

  auto unknown = Pay("usr_alice", "res_nope");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
}

TEST_F(PaymentsTest, CancelOfPaidReservationIsInvalidState) {
  ASSERT_TRUE(Charge("usr_alice", 100'000).ok());
  const Reservation r = HoldBothSeats("usr_alice");
  ASSERT_TRUE(Pay("usr_alice", r.id).ok());
  auto cancel =
      Run<Reservation>([&](WriteTx& tx) { return CancelReservation(tx, svc_, "usr_alice", r.id); });
  ASSERT_FALSE(cancel.ok());
  EXPECT_EQ(cancel.error().code, ErrorCode::kInvalidState);
  EXPECT_EQ(StatusOf(r.id), ReservationStatus::kPaid);
  EXPECT_EQ(SeatStatusOf(seats_[0]), SeatStatus::kSold);
  EXPECT_THAT(store_.EventsOfType(kEventReservationCancelled), IsEmpty());
}

TEST_F(PaymentsTest, ChargeAddsToTheBalanceAndRecordsIt) {
  auto first = Charge("usr_alice", 5'000);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->kind, WalletTxKind::kCharge);
  EXPECT_EQ(first->balance_after, 5'000);
  clock_.Advance(1);
  auto second = Charge("usr_alice", 7'000);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->balance_after, 12'000);
  EXPECT_EQ(Balance("usr_alice"), 12'000);
  EXPECT_EQ(Balance("usr_bob"), 0);

  const auto history = WalletHistory("usr_alice");
  ASSERT_EQ(history.size(), 2u);
  EXPECT_EQ(history[0].id, second->id);
  EXPECT_EQ(history[0].kind, WalletTxKind::kCharge);
  EXPECT_EQ(history[0].amount, 7'000);
  EXPECT_EQ(history[1].id, first->id);

  const auto events = store_.EventsOfType(kEventWalletCharged);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_THAT(events[0].data_json, HasSubstr("\"id\":\"" + first->id + "\""));
  EXPECT_THAT(events[1].data_json, HasSubstr("\"id\":\"" + second->id + "\""));
}

TEST_F(PaymentsTest, ChargeRefusesToPassTheBalanceMax) {
  // Reaching the max by charges alone would take 100 000 of them; credit most of it directly.
  store_.Submit(WriteJob{
      [](WriteTx& tx) { return tx.CreditWallet("usr_alice", kBalanceMax - 5).has_value(); },
      [](bool committed) { ASSERT_TRUE(committed); }});
  ASSERT_EQ(Balance("usr_alice"), kBalanceMax - 5);

  auto over = Charge("usr_alice", 6);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(Balance("usr_alice"), kBalanceMax - 5);
  EXPECT_THAT(WalletHistory("usr_alice"), IsEmpty());
  EXPECT_THAT(store_.EventsOfType(kEventWalletCharged), IsEmpty());

  ASSERT_TRUE(Charge("usr_alice", 5).ok());  // up to the max exactly
  EXPECT_EQ(Balance("usr_alice"), kBalanceMax);
  auto one_more = Charge("usr_alice", 1);
  ASSERT_FALSE(one_more.ok());
  EXPECT_EQ(one_more.error().code, ErrorCode::kInvalidRequest);
  EXPECT_EQ(Balance("usr_alice"), kBalanceMax);
}

}  // namespace
}  // namespace bo

// Holds, cancellation and expiry over the in-memory store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/catalog.h"
#include "app/reservations.h"
#include "app/submit.h"
#include "fakes/memory_store.h"
#include "fakes/use_case_test.h"

namespace bo {
namespace {

using bo::testing::UseCaseTest;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

class ReservationsTest : public UseCaseTest {
 protected:
  void SetUp() override {
    auto concert = Run<Concert>([&](WriteTx& tx) {
      return CreateConcert(tx, svc_, {"Winter Gala", "Orchestra", "Hall"});
    });
    ASSERT_TRUE(concert.ok());
    concert_id_ = concert->id;
    schedule_id_ = NewSchedule();
    other_schedule_id_ = NewSchedule();
    for (const auto& seat : store_.Read()->ListSeats(schedule_id_)) seats_.push_back(seat.id);
    ASSERT_EQ(seats_.size(), 3u);
    standing_ = store_.Read()->FindSchedule(schedule_id_).value().ticket_types.at(0).id;
  }

  // Three seats priced 10 000, 20 000 and 30 000, and 5 standing units at 5 000.
  std::string NewSchedule() {
    CreateScheduleCommand cmd;
    cmd.concert_id = concert_id_;
    cmd.starts_at_ms = kStart + 86'400'000;
    cmd.seats = {
        {"A", "1", 1, "R", 10'000}, {"A", "1", 2, "S", 20'000}, {"A", "1", 3, "VIP", 30'000}};
    cmd.ticket_types = {{"Standing", 5'000, 5}};
    auto s = Run<Schedule>([&](WriteTx& tx) { return CreateSchedule(tx, svc_, cmd); });
    EXPECT_TRUE(s.ok());
    return s.ok() ? s->id : "";
  }

  Result<Reservation> HoldSeats(const std::string& user_id, std::vector<std::string> seat_ids,
                                std::string schedule_id = "") {
    ReserveSeatsCommand cmd{user_id, schedule_id.empty() ? schedule_id_ : schedule_id,
                            std::move(seat_ids)};
    return Run<Reservation>([&](WriteTx& tx) { return ReserveSeats(tx, svc_, cmd); });
  }

  Result<Reservation> HoldUnits(const std::string& user_id, int quantity) {
    ReserveTicketsCommand cmd{user_id, schedule_id_, standing_, quantity};
    return Run<Reservation>([&](WriteTx& tx) { return ReserveTickets(tx, svc_, cmd); });
  }

  Result<int> Expire(const std::string& schedule_id = "") {
    return Run<int>([&](WriteTx& tx) { return ExpireHolds(tx, svc_, schedule_id); });
  }

  Result<Reservation> Cancel(const std::string& user_id, const std::string& reservation_id) {
    return Run<Reservation>(
        [&](WriteTx& tx) { return CancelReservation(tx, svc_, user_id, reservation_id); });
  }

  ReservationStatus StatusOf(const std::string& reservation_id) {
    return store_.Read()->FindReservation(reservation_id).value().status;
  }
  SeatStatus SeatStatusOf(const std::string& seat_id) {
    return store_.Read()->FindSeat(seat_id).value().status;
  }
  std::string SeatHolder(const std::string& seat_id) {
    return store_.Dump().seats.at(seat_id).reservation_id;
  }
  int SeatsAvailable(const std::string& schedule_id) {
    return store_.Read()->FindSchedule(schedule_id).value().seats_available;
  }
  int UnitsTaken() { return store_.Read()->FindTicketType(standing_).value().taken; }

  std::string concert_id_;
  std::string schedule_id_;
  std::string other_schedule_id_;
  std::vector<std::string> seats_;  // of schedule_id_, in seat order
  std::string standing_;            // the ticket type of schedule_id_
};

TEST_F(ReservationsTest, HoldsSeatsAtTheirPricesUntilTheHoldEnds) {
  auto r = HoldSeats("usr_alice", {seats_[2], seats_[0]});
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->status, ReservationStatus::kHeld);
  EXPECT_EQ(r->amount, 40'000);
  EXPECT_EQ(r->quantity, 2);
  EXPECT_EQ(r->concert_id, concert_id_);
  EXPECT_EQ(r->expires_at_ms, kStart + kHoldMs);

  auto stored = store_.Read()->FindReservation(r->id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->seat_ids, (std::vector<std::string>{seats_[2], seats_[0]}));
  EXPECT_EQ(stored->amount, 40'000);
  EXPECT_EQ(SeatHolder(seats_[0]), r->id);
  EXPECT_EQ(SeatHolder(seats_[2]), r->id);
  EXPECT_EQ(SeatStatusOf(seats_[1]), SeatStatus::kAvailable);
  EXPECT_EQ(SeatsAvailable(schedule_id_), 1);
}

TEST_F(ReservationsTest, MultiSeatHoldIsAllOrNothing) {
  auto bob = HoldSeats("usr_bob", {seats_[1]});
  ASSERT_TRUE(bob.ok());

  auto alice = HoldSeats("usr_alice", {seats_[0], seats_[1]});
  ASSERT_FALSE(alice.ok());
  EXPECT_EQ(alice.error().code, ErrorCode::kSeatUnavailable);
  EXPECT_THAT(alice.error().detail, HasSubstr(seats_[1]));

  // The first seat, taken before the second failed, went back with the rest of the hold.
  EXPECT_EQ(SeatStatusOf(seats_[0]), SeatStatus::kAvailable);
  EXPECT_EQ(SeatHolder(seats_[0]), "");
  EXPECT_EQ(SeatHolder(seats_[1]), bob->id);
  EXPECT_EQ(SeatsAvailable(schedule_id_), 2);
  EXPECT_THAT(store_.Read()->ListReservations("usr_alice", "", 10).items, IsEmpty());
}

TEST_F(ReservationsTest, HeldSeatIsUnavailableEvenToItsHolder) {
  ASSERT_TRUE(HoldSeats("usr_alice", {seats_[0]}).ok());
  auto again = HoldSeats("usr_alice", {seats_[0]});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kSeatUnavailable);
  EXPECT_THAT(again.error().detail, HasSubstr("HELD"));
}

TEST_F(ReservationsTest, UnknownSeatIsNotFound) {
  auto r = HoldSeats("usr_alice", {seats_[0], "seat_nope"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(r.error().detail, HasSubstr("seat_nope"));
  EXPECT_EQ(SeatStatusOf(seats_[0]), SeatStatus::kAvailable);
  EXPECT_EQ(SeatsAvailable(schedule_id_), 3);
}

TEST_F(ReservationsTest, SeatOfAnotherScheduleIsNotFoundAndStaysAvailable) {
  const std::string foreign = store_.Read()->ListSeats(other_schedule_id_).at(0).id;
  auto r = HoldSeats("usr_alice", {seats_[0], foreign});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(r.error().detail, HasSubstr(foreign));
  EXPECT_EQ(SeatStatusOf(foreign), SeatStatus::kAvailable);
  EXPECT_EQ(SeatStatusOf(seats_[0]), SeatStatus::kAvailable);
  EXPECT_EQ(SeatsAvailable(schedule_id_), 3);
  EXPECT_EQ(SeatsAvailable(other_schedule_id_), 3);
}

TEST_F(ReservationsTest, UnknownScheduleIsNotFound) {
  auto r = HoldSeats("usr_alice", {seats_[0]}, "sch_nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(SeatStatusOf(seats_[0]), SeatStatus::kAvailable);
}

TEST_F(ReservationsTest, GeneralAdmissionTakesUnitsAndNeverOversells) {
  auto first = HoldUnits("usr_alice", 3);
  ASSERT_TRUE(first.ok()) << first.error().detail;
  EXPECT_EQ(first->ticket_type_id, standing_);
  EXPECT_EQ(first->quantity, 3);
  EXPECT_EQ(first->amount, 15'000);
  EXPECT_THAT(first->seat_ids, IsEmpty());
  EXPECT_EQ(UnitsTaken(), 3);

  auto too_many = HoldUnits("usr_bob", 3);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.error().code, ErrorCode::kSoldOut);
  EXPECT_EQ(UnitsTaken(), 3);

  ASSERT_TRUE(HoldUnits("usr_bob", 2).ok());  // exactly what is left
  EXPECT_EQ(UnitsTaken(), 5);
  auto none_left = HoldUnits("usr_carol", 1);
  ASSERT_FALSE(none_left.ok());
  EXPECT_EQ(none_left.error().code, ErrorCode::kSoldOut);
  EXPECT_EQ(UnitsTaken(), 5);
  EXPECT_EQ(SeatsAvailable(schedule_id_), 3);  // units are not seats
}

TEST_F(ReservationsTest, TicketTypeOfAnotherScheduleIsNotFound) {
  ReserveTicketsCommand cmd{"usr_alice", other_schedule_id_, standing_, 1};
  auto r = Run<Reservation>([&](WriteTx& tx) { return ReserveTickets(tx, svc_, cmd); });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(UnitsTaken(), 0);
}

TEST_F(ReservationsTest, DueHoldIsReclaimedByTheNextHoldOfItsSeat) {
  auto alice = HoldSeats("usr_alice", {seats_[0]});
  ASSERT_TRUE(alice.ok());

  clock_.Advance(kHoldMs - 1);
  auto early = HoldSeats("usr_bob", {seats_[0]});
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, ErrorCode::kSeatUnavailable);
  EXPECT_EQ(StatusOf(alice->id), ReservationStatus::kHeld);

  clock_.Advance(1);  // now == expires_at: the hold is due, though nothing swept it yet
  auto bob = HoldSeats("usr_bob", {seats_[0]});
  ASSERT_TRUE(bob.ok()) << bob.error().detail;
  EXPECT_EQ(StatusOf(alice->id), ReservationStatus::kExpired);
  EXPECT_EQ(SeatHolder(seats_[0]), bob->id);
  EXPECT_EQ(SeatsAvailable(schedule_id_), 2);

  const auto expired = store_.EventsOfType(kEventReservationExpired);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_THAT(expired[0].data_json, HasSubstr("\"id\":\"" + alice->id + "\""));
  EXPECT_THAT(expired[0].data_json, HasSubstr("\"status\":\"EXPIRED\""));
}

TEST_F(ReservationsTest, DueUnitsAreReclaimedByTheNextHold) {
  auto alice = HoldUnits("usr_alice", 5);
  ASSERT_TRUE(alice.ok());
  clock_.Advance(kHoldMs);
  auto bob = HoldUnits("usr_bob", 2);
  ASSERT_TRUE(bob.ok()) << bob.error().detail;
  EXPECT_EQ(StatusOf(alice->id), ReservationStatus::kExpired);
  EXPECT_EQ(UnitsTaken(), 2);
  EXPECT_EQ(store_.EventsOfType(kEventReservationExpired).size(), 1u);
}

TEST_F(ReservationsTest, ExpireHoldsExpiresOnlyDueHoldsAndReleasesTheirInventory) {
  auto alice = HoldSeats("usr_alice", {seats_[0], seats_[1]});  // due at kStart + kHoldMs
  clock_.Advance(100'000);
  auto bob = HoldSeats("usr_bob", {seats_[2]});  // due 100 s later
  auto carol = HoldUnits("usr_carol", 4);        // due 100 s later
  ASSERT_TRUE(alice.ok() && bob.ok() && carol.ok());
  ASSERT_EQ(SeatsAvailable(schedule_id_), 0);

  clock_.Set(kStart + kHoldMs - 1);
  auto none = Expire();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
  EXPECT_EQ(StatusOf(alice->id), ReservationStatus::kHeld);

  clock_.Set(kStart + kHoldMs);  // expires_at == now is due
  auto one = Expire();
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(*one, 1);
  EXPECT_EQ(StatusOf(alice->id), ReservationStatus::kExpired);
  EXPECT_EQ(StatusOf(bob->id), ReservationStatus::kHeld);
  EXPECT_EQ(SeatStatusOf(seats_[0]), SeatStatus::kAvailable);
  EXPECT_EQ(SeatStatusOf(seats_[1]), SeatStatus::kAvailable);
  EXPECT_EQ(SeatStatusOf(seats_[2]), SeatStatus::kHeld);
  EXPECT_EQ(SeatsAvailable(schedule_id_), 2);
  EXPECT_EQ(UnitsTaken(), 4);

  clock_.Advance(100'000);
  auto two = Expire();
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(*two, 2);
  EXPECT_EQ(StatusOf(bob->id), ReservationStatus::kExpired);
  EXPECT_EQ(StatusOf(carol->id), ReservationStatus::kExpired);
  EXPECT_EQ(SeatsAvailable(schedule_id_), 3);
  EXPECT_EQ(UnitsTaken(), 0);
  EXPECT_EQ(store_.EventsOfType(kEventReservationExpired).size(), 3u);

  auto again = Expire();  // an expired hold is not expired twice
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(store_.EventsOfType(kEventReservationExpired).size(), 3u);
}

TEST_F(ReservationsTest, ExpireHoldsOfOneScheduleLeavesOthersAlone) {
  const std::string foreign = store_.Read()->ListSeats(other_schedule_id_).at(0).id;
  auto here = HoldSeats("usr_alice", {seats_[0]});
  auto there = HoldSeats("usr_alice", {foreign}, other_schedule_id_);
  ASSERT_TRUE(here.ok() && there.ok());
  clock_.Advance(kHoldMs);

  auto n = Expire(schedule_id_);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(StatusOf(here->id), ReservationStatus::kExpired);
  EXPECT_EQ(StatusOf(there->id), ReservationStatus::kHeld);
  EXPECT_EQ(SeatsAvailable(other_schedule_id_), 2);
}

TEST_F(ReservationsTest, CancelReleasesSeatsAndRecordsTheEvent) {
  auto r = HoldSeats("usr_alice", {seats_[0], seats_[1]});
  ASSERT_TRUE(r.ok());
  auto cancelled = Cancel("usr_alice", r->id);
  ASSERT_TRUE(cancelled.ok()) << cancelled.error().detail;
  EXPECT_EQ(cancelled->status, ReservationStatus::kCancelled);
  EXPECT_EQ(StatusOf(r->id), ReservationStatus::kCancelled);
  EXPECT_EQ(SeatStatusOf(seats_[0]), SeatStatus::kAvailable);
  EXPECT_EQ(SeatStatusOf(seats_[1]), SeatStatus::kAvailable);
  EXPECT_EQ(SeatsAvailable(schedule_id_), 3);

  const auto events = store_.EventsOfType(kEventReservationCancelled);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_THAT(events[0].data_json, HasSubstr("\"id\":\"" + r->id + "\""));
  EXPECT_THAT(events[0].data_json, HasSubstr("\"status\":\"CANCELLED\""));

  // The seats are free for the next buyer.
  EXPECT_TRUE(HoldSeats("usr_bob", {seats_[0], seats_[1]}).ok());
}

TEST_F(ReservationsTest, CancelReturnsUnits) {
  auto r = HoldUnits("usr_alice", 4);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(Cancel("usr_alice", r->id).ok());
  EXPECT_EQ(UnitsTaken(), 0);
}

TEST_F(ReservationsTest, CancelOfAnotherUsersReservationIsNotFound) {
  auto r = HoldSeats("usr_alice", {seats_[0]});
  ASSERT_TRUE(r.ok());
  auto cancelled = Cancel("usr_bob", r->id);
  ASSERT_FALSE(cancelled.ok());
  EXPECT_EQ(cancelled.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(StatusOf(r->id), ReservationStatus::kHeld);
  EXPECT_EQ(SeatStatusOf(seats_[0]), SeatStatus::kHeld);
  EXPECT_THAT(store_.EventsOfType(kEventReservationCancelled), IsEmpty());
}

TEST_F(ReservationsTest, CancelOfDueOrEndedHoldIsInvalidState) {
  auto r = HoldSeats("usr_alice", {seats_[0]});
  ASSERT_TRUE(r.ok());
  clock_.Advance(kHoldMs);
  auto late = Cancel("usr_alice", r->id);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kInvalidState);
  EXPECT_THAT(late.error().detail, HasSubstr("EXPIRED"));
  EXPECT_EQ(SeatStatusOf(seats_[0]), SeatStatus::kHeld);  // left for the sweep

  ASSERT_TRUE(Expire().ok());
  auto after_sweep = Cancel("usr_alice", r->id);
  ASSERT_FALSE(after_sweep.ok());
  EXPECT_EQ(after_sweep.error().code, ErrorCode::kInvalidState);
  EXPECT_THAT(store_.EventsOfType(kEventReservationCancelled), IsEmpty());
}

TEST_F(ReservationsTest, CancelTwiceIsInvalidState) {
  auto r = HoldUnits("usr_alice", 2);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(Cancel("usr_alice", r->id).ok());
  auto again = Cancel("usr_alice", r->id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kInvalidState);
  EXPECT_EQ(UnitsTaken(), 0);  // returned once, not twice
}

TEST_F(ReservationsTest, ListsReservationsNewestFirstByPages) {
  std::vector<std::string> made;
  for (int i = 0; i < 3; ++i) {
    auto r = HoldUnits("usr_alice", 1);
    ASSERT_TRUE(r.ok());
    made.push_back(r->id);
    clock_.Advance(1);
  }
  ASSERT_TRUE(HoldUnits("usr_bob", 1).ok());

  auto first = store_.Read()->ListReservations("usr_alice", "", 2);
  ASSERT_EQ(first.items.size(), 2u);
  EXPECT_EQ(first.items[0].id, made[2]);
  EXPECT_EQ(first.items[1].id, made[1]);
  EXPECT_EQ(first.next_cursor, made[1]);

  auto second = store_.Read()->ListReservations("usr_alice", first.next_cursor, 2);
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_EQ(second.items[0].id, made[0]);
  EXPECT_EQ(second.next_cursor, "");
}

// General-admission holds of a schedule share its writer lane; seat holds take any.
TEST(HoldLanes, GeneralAdmissionSharesItsSchedulesLaneAndSeatsTakeAny) {
  EXPECT_EQ(LaneKeyOf(ReserveTicketsCommand{"usr_1", "sch_1", "tt_1", 2}), "sch_1");
  EXPECT_EQ(LaneKeyOf(ReserveTicketsCommand{"usr_2", "sch_1", "tt_2", 1}), "sch_1");
  EXPECT_EQ(LaneKeyOf(ReserveSeatsCommand{"usr_1", "sch_1", {"seat_1"}}), "");
}

}  // namespace
}  // namespace bo

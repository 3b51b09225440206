// The sale checks over planted data: consistent runs pass, and each kind of oversell or
// missing ticket is caught by the check that names it.
#include "loadgen/invariants.h"

#include <gtest/gtest.h>

#include <string>

namespace bo::loadgen {
namespace {

constexpr UnixMs kT0 = 1'900'000'000'000;
constexpr UnixMs kHoldMs = 300'000;

GrantedHold SeatHold(const std::string& id, std::vector<std::string> seats, UnixMs at = kT0) {
  GrantedHold h;
  h.reservation_id = id;
  h.quantity = static_cast<int>(seats.size());
  h.seat_ids = std::move(seats);
  h.created_at_ms = at;
  h.expires_at_ms = at + kHoldMs;
  return h;
}

GrantedHold UnitHold(const std::string& id, int quantity, UnixMs at = kT0) {
  GrantedHold h;
  h.reservation_id = id;
  h.ticket_type_id = "tt_1";
  h.quantity = quantity;
  h.created_at_ms = at;
  h.expires_at_ms = at + kHoldMs;
  return h;
}

std::vector<SeatState> Map(int seats, std::vector<std::pair<int, SeatStatus>> taken) {
  std::vector<SeatState> map(static_cast<size_t>(seats));
  for (int i = 0; i < seats; ++i) map[static_cast<size_t>(i)].id = "s" + std::to_string(i);
  for (const auto& [i, status] : taken) map[static_cast<size_t>(i)].status = status;
  return map;
}

// The one failing check's name, or "" if all hold; fails the test if several fail.
std::string Failed(const InvariantReport& report) {
  std::string failed;
  for (const auto& c : report.checks) {
    if (c.ok) continue;
    EXPECT_TRUE(failed.empty()) << "also failed: " << c.name << ": " << c.detail;
    failed = c.name;
  }
  EXPECT_EQ(report.ok(), failed.empty());
  return failed;
}

SeatSaleObservation ConsistentSeatSale() {
  SeatSaleObservation o;
  o.holds = {SeatHold("r1", {"s0", "s1"}), SeatHold("r2", {"s5"})};
  o.seat_map = Map(10, {{0, SeatStatus::kHeld}, {1, SeatStatus::kHeld}, {5, SeatStatus::kHeld}});
  o.checked_at_ms = kT0 + 5'000;
  return o;
}

TEST(loadgen_SeatSaleCheck, PassesOnConsistentData) {
  const auto report = CheckSeatSale(ConsistentSeatSale());
  EXPECT_EQ(Failed(report), "");
  EXPECT_EQ(report.checks.size(), 4u);
}

TEST(loadgen_SeatSaleCheck, CatchesOneSeatInTwo201Answers) {
  auto o = ConsistentSeatSale();
  o.holds.push_back(SeatHold("r3", {"s1", "s7"}, kT0 + 10));
  o.seat_map[7].status = SeatStatus::kHeld;
  const auto report = CheckSeatSale(o);
  EXPECT_EQ(Failed(report), "no seat in two live holds");
  for (const auto& c : report.checks) {
    if (!c.ok) {
      EXPECT_NE(c.detail.find("seat s1 in reservations r1 and r3"), std::string::npos);
    }
  }
}

TEST(loadgen_SeatSaleCheck, AllowsASeatHeldAgainAfterItsHoldExpired) {
  auto o = ConsistentSeatSale();
  o.holds.push_back(SeatHold("r3", {"s1"}, kT0 + kHoldMs));  // starts when r1 ends
  o.checked_at_ms = kT0 + kHoldMs + 5'000;
  EXPECT_EQ(Failed(CheckSeatSale(o)), "");
}

TEST(loadgen_SeatSaleCheck, CatchesAHeldSeatThatIsAvailable) {
  auto o = ConsistentSeatSale();
  o.seat_map[5].status = SeatStatus::kAvailable;
  EXPECT_EQ(Failed(CheckSeatSale(o)), "held seats are HELD or SOLD in the seat map");
}

TEST(loadgen_SeatSaleCheck, DoesNotExpectAnExpiredHoldToStillBeTaken) {
  auto o = ConsistentSeatSale();
  o.seat_map[5].status = SeatStatus::kAvailable;
  o.checked_at_ms = kT0 + kHoldMs;  // r2 has expired
  EXPECT_EQ(Failed(CheckSeatSale(o)), "");
}

TEST(loadgen_SeatSaleCheck, CatchesATakenSeatThatNoAnswerGranted) {
  auto o = ConsistentSeatSale();
  o.seat_map[9].status = SeatStatus::kSold;
  EXPECT_EQ(Failed(CheckSeatSale(o)), "every taken seat was granted");
  // Unless a request for it got no answer: the server may have held it.
  o.unanswered_seat_ids = {"s9"};
  EXPECT_EQ(Failed(CheckSeatSale(o)), "");
}

TEST(loadgen_SeatSaleCheck, CatchesUnreadableAnswersAndUnknownSeats) {
  auto o = ConsistentSeatSale();
  o.unreadable_answers = 1;
  EXPECT_EQ(Failed(CheckSeatSale(o)), "201 answers name seats of the schedule");
  o = ConsistentSeatSale();
  o.holds.push_back(SeatHold("r9", {"elsewhere"}));
  EXPECT_EQ(Failed(CheckSeatSale(o)), "201 answers name seats of the schedule");
}

GaSaleObservation ConsistentGaSale() {
  GaSaleObservation o;
  o.capacity = 10;
  o.holds = {UnitHold("r1", 4), UnitHold("r2", 3), UnitHold("r3", 3)};
  o.available = 0;
  o.checked_at_ms = kT0 + 5'000;
  return o;
}

TEST(loadgen_GaSaleCheck, PassesOnConsistentData) {
  const auto report = CheckGaSale(ConsistentGaSale());
  EXPECT_EQ(Failed(report), "");
  EXPECT_EQ(report.checks.size(), 3u);
}

TEST(loadgen_GaSaleCheck, CatchesMoreSoldThanTheCapacity) {
  auto o = ConsistentGaSale();
  o.holds.push_back(UnitHold("r4", 1, kT0 + 20));
  o.available = -1;
  EXPECT_EQ(Failed(CheckGaSale(o)), "never beyond capacity");
}

TEST(loadgen_GaSaleCheck, CatchesOversellHiddenByTheCounter) {
  // The counter says sold out, but the answers granted 11 of 10 units.
  auto o = ConsistentGaSale();
  o.holds.push_back(UnitHold("r4", 1, kT0 + 20));
  const auto report = CheckGaSale(o);
  EXPECT_FALSE(report.ok());
  EXPECT_FALSE(report.checks[1].ok);  // never beyond capacity
  EXPECT_FALSE(report.checks[2].ok);  // capacity - available = 10, granted 11
}

TEST(loadgen_GaSaleCheck, CatchesUnitsTakenThatNoAnswerGranted) {
  auto o = ConsistentGaSale();
  o.holds.pop_back();  // 7 granted, 10 taken
  EXPECT_EQ(Failed(CheckGaSale(o)), "capacity - available equals the units held");
  o.unanswered_quantity = 3;  // three units asked for without an answer
  EXPECT_EQ(Failed(CheckGaSale(o)), "");
}

TEST(loadgen_GaSaleCheck, CountsAHoldOnlyWhileItLives) {
  auto o = ConsistentGaSale();
  // r4 starts after r1 expired: 9 live at most, and r1's units may be back.
  o.holds.push_back(UnitHold("r4", 4, kT0 + kHoldMs));
  o.available = 0;
  o.checked_at_ms = kT0 + kHoldMs + 1;
  EXPECT_EQ(Failed(CheckGaSale(o)), "");
}

PaySaleObservation ConsistentPaySale() {
  PaySaleObservation o;
  o.seats.holds = {SeatHold("r1", {"s0", "s1"}), SeatHold("r2", {"s2"}), SeatHold("r3", {"s3"})};
  o.seats.seat_map = Map(5, {{0, SeatStatus::kSold},
                             {1, SeatStatus::kSold},
                             {2, SeatStatus::kSold},
                             {3, SeatStatus::kHeld}});  // r3 was never paid
  o.seats.checked_at_ms = kT0 + 5'000;
  o.paid = {PaidReservation{"pay1", o.seats.holds[0], 2},
            PaidReservation{"pay2", o.seats.holds[1], 1}};
  o.tickets = {TicketView{"t1", "r1", "s0", ""}, TicketView{"t2", "r1", "s1", ""},
               TicketView{"t3", "r2", "s2", ""}};
  return o;
}

TEST(loadgen_PaySaleCheck, PassesOnConsistentData) {
  EXPECT_EQ(Failed(CheckPaySale(ConsistentPaySale())), "");
}

TEST(loadgen_PaySaleCheck, CatchesAPaidReservationMissingATicket) {
  auto o = ConsistentPaySale();
  o.tickets.erase(o.tickets.begin() + 1);
  EXPECT_EQ(Failed(CheckPaySale(o)), "each paid reservation has one ticket per seat");
}

TEST(loadgen_PaySaleCheck, CatchesATicketForTheWrongSeat) {
  auto o = ConsistentPaySale();
  o.tickets[1].seat_id = "s4";
  EXPECT_EQ(Failed(CheckPaySale(o)), "each paid reservation has one ticket per seat");
}

TEST(loadgen_PaySaleCheck, CatchesASeatWithTwoTickets) {
  auto o = ConsistentPaySale();
  // r2's seat sold again to r3 (its hold granted as well): two tickets for s2.
  o.seats.holds[2] = SeatHold("r3", {"s2"}, kT0 + 10);
  o.seats.seat_map[3].status = SeatStatus::kAvailable;
  o.paid.push_back(PaidReservation{"pay3", o.seats.holds[2], 1});
  o.tickets.push_back(TicketView{"t4", "r3", "s2", ""});
  const auto report = CheckPaySale(o);
  EXPECT_FALSE(report.ok());
  bool two_tickets_caught = false;
  for (const auto& c : report.checks) {
    if (c.name == "no seat has two tickets") two_tickets_caught = !c.ok;
  }
  EXPECT_TRUE(two_tickets_caught);
}

TEST(loadgen_PaySaleCheck, CatchesAPaidSeatThatIsNotSold) {
  auto o = ConsistentPaySale();
  o.seats.seat_map[2].status = SeatStatus::kHeld;
  EXPECT_EQ(Failed(CheckPaySale(o)), "paid seats are SOLD");
}

TEST(loadgen_PaySaleCheck, CatchesATicketWithoutAPayment) {
  auto o = ConsistentPaySale();
  o.tickets.push_back(TicketView{"t9", "r3", "s3", ""});
  o.seats.seat_map[3].status = SeatStatus::kSold;
  EXPECT_EQ(Failed(CheckPaySale(o)), "every ticket belongs to a payment");
  o.unanswered_payment_reservation_ids = {"r3"};  // paid, but the answer was lost
  EXPECT_EQ(Failed(CheckPaySale(o)), "");
}

TEST(loadgen_PaySaleCheck, CatchesAPaymentAnsweredWithTooFewTickets) {
  auto o = ConsistentPaySale();
  o.paid[0].tickets_in_answer = 1;
  EXPECT_EQ(Failed(CheckPaySale(o)), "each payment answered with its tickets");
}

TEST(loadgen_PaySaleCheck, CatchesAReservationPaidTwice) {
  auto o = ConsistentPaySale();
  o.paid.push_back(PaidReservation{"pay9", o.seats.holds[1], 1});
  EXPECT_EQ(Failed(CheckPaySale(o)), "each payment answered with its tickets");
}

QueuePlace Place(const std::string& token, const std::string& status, std::int64_t position) {
  return QueuePlace{token, "con_1", status, position};
}

// Two connections: the first joined q1..q3 in that order, the second q4; q1 was admitted at
// once. Read back later, every place moved forward by 2 and q1 has expired.
QueueJoinObservation ConsistentQueueJoins() {
  QueueJoinObservation o;
  o.concert_id = "con_1";
  o.joined = {{Place("q1", "ACTIVE", 0), Place("q2", "WAITING", 3), Place("q3", "WAITING", 5)},
              {Place("q4", "WAITING", 4)}};
  // Latest first within each connection.
  o.read_back = {{0, 2, Place("q3", "WAITING", 3)},
                 {0, 1, Place("q2", "WAITING", 1)},
                 {0, 0, Place("q1", "EXPIRED", 0)},
                 {1, 0, Place("q4", "WAITING", 2)}};
  return o;
}

TEST(QueueJoinChecks, ConsistentRushPasses) {
  const auto report = CheckQueueJoins(ConsistentQueueJoins());
  EXPECT_TRUE(report.ok());
  EXPECT_EQ(report.checks.size(), 5u);
}

TEST(QueueJoinChecks, AnOldPlaceForANewBuyerIsCaught) {
  auto o = ConsistentQueueJoins();
  o.existing_places = 1;
  EXPECT_EQ(Failed(CheckQueueJoins(o)), "every new buyer got a new place");
}

TEST(QueueJoinChecks, ATokenGivenTwiceIsCaught) {
  auto o = ConsistentQueueJoins();
  o.joined[1][0].token = "q2";
  o.read_back.pop_back();  // keep the read-back consistent with the planted answer
  EXPECT_EQ(Failed(CheckQueueJoins(o)), "no token given twice");
}

TEST(QueueJoinChecks, APlaceOfAnotherConcertOrPositionIsCaught) {
  auto o = ConsistentQueueJoins();
  o.joined[0][1].concert_id = "con_2";
  EXPECT_EQ(Failed(CheckQueueJoins(o)), "201 answers are places in the concert's room");
  o = ConsistentQueueJoins();
  o.joined[0][0].position = 3;  // ACTIVE, yet in line
  EXPECT_EQ(Failed(CheckQueueJoins(o)), "201 answers are places in the concert's room");
}

TEST(QueueJoinChecks, APlaceThatMovedBackIsCaught) {
  auto o = ConsistentQueueJoins();
  o.read_back[3].now->position = 6;  // q4 joined at 4
  EXPECT_EQ(Failed(CheckQueueJoins(o)), "places read back never moved back in line");
}

TEST(QueueJoinChecks, ALostPlaceIsCaught) {
  auto o = ConsistentQueueJoins();
  o.read_back[3].now.reset();
  EXPECT_EQ(Failed(CheckQueueJoins(o)), "places read back never moved back in line");
}

TEST(QueueJoinChecks, ALaterArrivalAheadOfAnEarlierOneIsCaught) {
  auto o = ConsistentQueueJoins();
  o.read_back[0].now->position = 1;  // q3 now level with q2
  EXPECT_EQ(Failed(CheckQueueJoins(o)), "each connection's places keep their arrival order");
  o = ConsistentQueueJoins();
  o.read_back[0].now = Place("q3", "ACTIVE", 0);  // q3 admitted while q2, earlier, waits
  EXPECT_EQ(Failed(CheckQueueJoins(o)), "each connection's places keep their arrival order");
  o = ConsistentQueueJoins();
  // Everyone admitted since: in order.
  o.read_back[1].now = Place("q2", "ACTIVE", 0);
  o.read_back[2].now = Place("q1", "EXPIRED", 0);
  o.read_back[0].now = Place("q3", "ACTIVE", 0);
  EXPECT_TRUE(CheckQueueJoins(o).ok());
}

}  // namespace
}  // namespace bo::loadgen

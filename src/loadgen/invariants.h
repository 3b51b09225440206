// What a sale scenario checks after its load: no seat or unit sold twice or beyond capacity,
// and every paid reservation with its tickets. Each check is a pure function over what the run
// observed (the answers it got, and what the API shows afterwards), so tests can plant an
// oversell and see it caught.
//
// Holds end: the server may expire one (after its hold time) and sell its seat again. So two
// holds on one seat are a double sale only if they were live at once, and a hold is expected to
// still be taken only if it has not expired by the time the API was read (with a margin for the
// two clocks).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/time.h"
#include "domain/catalog.h"

namespace bo::loadgen {

// Holds that expire this close to the moment the API was read may be gone already.
inline constexpr std::int64_t kExpiryMarginMs = 2000;

// A 201 answer to POST /v1/reservations.
struct GrantedHold {
  std::string reservation_id;
  std::vector<std::string> seat_ids;  // empty for general admission
  std::string ticket_type_id;         // empty for seats
  int quantity = 0;                   // seats or units
  std::int64_t amount = 0;
  UnixMs created_at_ms = 0;
  UnixMs expires_at_ms = 0;
};

// A 201 answer to POST /v1/payments, with the hold it paid.
struct PaidReservation {
  std::string payment_id;
  GrantedHold hold;
  int tickets_in_answer = 0;
};

struct SeatState {
  std::string id;
  SeatStatus status = SeatStatus::kAvailable;
};

struct TicketView {
  std::string id;
  std::string reservation_id;
  std::string seat_id;  // empty for general admission
  std::string ticket_type_id;
};

struct Check {
  std::string name;
  bool ok = true;
  std::string detail;  // what failed (the first few cases), or a count of what was checked
};

struct InvariantReport {
  std::vector<Check> checks;
  bool ok() const;
};

// A seated sale: every hold granted, the seats asked for by requests that got no answer (the
// server may or may not have held them), and the schedule's seat map read after the run.
struct SeatSaleObservation {
  std::vector<GrantedHold> holds;
  std::vector<std::string> unanswered_seat_ids;
  std::int64_t unreadable_answers = 0;  // 201 answers whose body could not be read
  std::vector<SeatState> seat_map;
  UnixMs checked_at_ms = 0;  // when the seat map was read
};

// Checks: every 201 was readable and names seats of the schedule; no seat is in two holds that
// were live at once; every unexpired hold's seats are HELD or SOLD; every HELD or SOLD seat
// belongs to a granted hold or to a request that got no answer.
InvariantReport CheckSeatSale(const SeatSaleObservation& o);

// A general-admission sale of one ticket type.
struct GaSaleObservation {
  int capacity = 0;
  int available = 0;  // read after the run
  std::vector<GrantedHold> holds;
  std::int64_t unanswered_quantity = 0;  // units asked for by requests that got no answer
  std::int64_t unreadable_answers = 0;
  UnixMs checked_at_ms = 0;
};

// Checks: every 201 was readable; the units of holds live at once never exceed the capacity and
// 0 <= available <= capacity; capacity - available lies between the units of unexpired holds and
// those of all holds plus the unanswered units (with no expiry and no lost answer: equal to the
// units held).
InvariantReport CheckGaSale(const GaSaleObservation& o);

// Hold, charge, pay.
struct PaySaleObservation {
  SeatSaleObservation seats;  // every hold granted, and the seat map after the run
  std::vector<PaidReservation> paid;
  // Reservations whose payment got no answer (paid or not, the server knows).
  std::vector<std::string> unanswered_payment_reservation_ids;
  std::int64_t unreadable_payment_answers = 0;
  std::vector<TicketView> tickets;  // every ticket of the users who paid, listed after the run
};

// Checks CheckSeatSale's, and: every payment answered with one ticket per seat; lists one
// ticket per seat of its reservation (the same seats); no seat has two tickets; every paid seat
// is SOLD; every ticket listed belongs to an answered or unanswered payment.
InvariantReport CheckPaySale(const PaySaleObservation& o);

// A queue token as POST or GET /v1/queue/tokens answers it.
struct QueuePlace {
  std::string token;
  std::string concert_id;
  std::string status;  // WAITING, ACTIVE or EXPIRED
  std::int64_t position = 0;
};

// A waiting room's rush: every join is by a buyer new to the room. A connection sends its next
// join only after the previous answer, so each connection's joins reached the server in order.
struct QueueJoinObservation {
  std::string concert_id;
  std::vector<std::vector<QueuePlace>> joined;  // per connection, the 201 answers in order
  std::int64_t existing_places = 0;             // 200 answers: a new buyer given an old place
  std::int64_t unreadable_answers = 0;
  // A sample of the places read back after the load. REQUIRES: within one connection, later
  // joins were read first (places only move forward, so reading in reverse arrival order keeps
  // the order check valid while the room goes on admitting).
  struct ReadBack {
    size_t connection = 0;
    size_t index = 0;               // into joined[connection]
    std::optional<QueuePlace> now;  // nullopt: the token was not found
  };
  std::vector<ReadBack> read_back;
};

// Checks: every 201 is a readable place of the concert (WAITING with position >= 1, or ACTIVE
// with position 0); no new buyer got an existing place; no token was given twice; every place
// read back still exists and never moved back in line; the places of each connection keep
// their arrival order (an earlier join is ahead, or admitted, whenever a later one is).
InvariantReport CheckQueueJoins(const QueueJoinObservation& o);

}  // namespace bo::loadgen

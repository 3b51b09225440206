// Use cases of holds: reserve seats or general-admission units, cancel, and expire.
//
// Inventory moves only through the Store's conditional writes, inside the use case's
// transaction, so a multi-seat hold is all or nothing: the first seat that cannot be taken
// fails the use case and its savepoint rolls back the seats taken before it.
#pragma once

#include <string>
#include <vector>

#include "app/services.h"
#include "common/result.h"
#include "ports/store.h"

namespace bo {

struct ReserveSeatsCommand {
  std::string user_id;
  std::string schedule_id;
  std::vector<std::string> seat_ids;  // REQUIRES: 1..kSeatsPerReservationMax, distinct
};

// Holds every seat or none. kNotFound for an unknown schedule or a seat not of this schedule;
// kSeatUnavailable (naming the seat) if any seat is held or sold.
Result<Reservation> ReserveSeats(WriteTx& tx, Services& svc, const ReserveSeatsCommand& cmd);

struct ReserveTicketsCommand {
  std::string user_id;
  std::string schedule_id;
  std::string ticket_type_id;
  int quantity = 0;  // REQUIRES: 1..kUnitsPerReservationMax
};

// Holds `quantity` units of a ticket type, or none. kNotFound for an unknown schedule or a
// ticket type not of it; kSoldOut when fewer units are left.
Result<Reservation> ReserveTickets(WriteTx& tx, Services& svc, const ReserveTicketsCommand& cmd);

// The writer lane of a hold (WriteJob::lane_key). General-admission holds of one schedule
// update its ticket types' rows: they share the schedule's lane, where they coalesce instead
// of queueing on each other's row locks. A seat hold waits for no other hold until its commit
// (a store with several writers skips a seat another transaction has locked; see
// WriteTx::HoldSeat), so it takes any lane, and a busy sale keeps every lane at work.
inline std::string LaneKeyOf(const ReserveSeatsCommand&) { return {}; }
inline std::string LaneKeyOf(const ReserveTicketsCommand& cmd) { return cmd.schedule_id; }

// HELD -> CANCELLED for the caller's reservation, releasing its inventory and recording
// reservation.cancelled. kNotFound if it is not the caller's; kInvalidState unless HELD and
// unexpired.
Result<Reservation> CancelReservation(WriteTx& tx, Services& svc, std::string_view user_id,
                                      std::string_view reservation_id);

// Expires every hold due at the clock's now (of `schedule_id` only, unless empty), at most
// kExpireBatchSizeMax: HELD -> EXPIRED, inventory released, reservation.expired recorded.
// Returns how many expired.
Result<int> ExpireHolds(WriteTx& tx, Services& svc, std::string_view schedule_id);

// A new HELD reservation of `user_id` on `schedule`, expiring by the hold policy.
Reservation NewHold(Services& svc, std::string_view user_id, const Schedule& schedule);

// The reservation `reservation_id` if it is `user_id`'s, else kNotFound (whether it does not
// exist or belongs to someone else: the API never tells the two apart).
Result<Reservation> FindOwnReservation(StoreReader& reader, std::string_view user_id,
                                       std::string_view reservation_id);

// Returns the seats or units of a reservation that just left HELD to the inventory.
// REQUIRES: the caller moved `r` out of HELD in this transaction.
void ReleaseInventory(WriteTx& tx, const Reservation& r);

}  // namespace bo

#include "app/reservations.h"

#include "common/assert.h"

namespace bo {

Result<Reservation> ReserveTickets(WriteTx& tx, Services& svc, const ReserveTicketsCommand& cmd) {
  BO_ASSERT(cmd.quantity >= 1 && cmd.quantity <= kUnitsPerReservationMax);
  const auto type = tx.FindTicketType(cmd.ticket_type_id);
  if (!type || type->schedule_id != cmd.schedule_id) {
    return MakeError(ErrorCode::kNotFound, "ticket type " + cmd.ticket_type_id +
                                               " is not a ticket type of schedule " +
                                               cmd.schedule_id);
  }
  const auto schedule = tx.FindSchedule(cmd.schedule_id);
  BO_ASSERT(schedule.has_value());  // a ticket type belongs to an existing schedule

  bool taken = tx.TakeUnits(cmd.ticket_type_id, cmd.quantity);
  if (!taken) {
    // Units may sit in holds that are due but not yet swept: expire them and try once more.
    auto expired = ExpireHolds(tx, svc, cmd.schedule_id);
    if (expired.ok() && *expired > 0) taken = tx.TakeUnits(cmd.ticket_type_id, cmd.quantity);
  }
  if (!taken) {
    const auto now_left = tx.FindTicketType(cmd.ticket_type_id);
    return MakeError(ErrorCode::kSoldOut, "ticket type " + cmd.ticket_type_id + " has " +
                                              std::to_string(now_left ? now_left->available() : 0) +
                                              " left, " + std::to_string(cmd.quantity) + " asked");
  }

  Reservation r = NewHold(svc, cmd.user_id, *schedule);
  r.ticket_type_id = cmd.ticket_type_id;
  r.quantity = cmd.quantity;
  r.amount = type->price * cmd.quantity;
  tx.InsertReservation(r);
  return r;
}

}  // namespace bo

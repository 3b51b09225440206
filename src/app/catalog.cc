#include "app/catalog.h"

#include "common/assert.h"

namespace bo {

Result<Concert> CreateConcert(WriteTx& tx, Services& svc, const CreateConcertCommand& cmd) {
  Concert c;
  c.id = svc.ids.Next("con");
  c.name = cmd.name;
  c.artist = cmd.artist;
  c.venue = cmd.venue;
  c.created_at_ms = svc.clock.NowMs();
  tx.InsertConcert(c);
  return c;
}

Result<Schedule> CreateSchedule(WriteTx& tx, Services& svc, const CreateScheduleCommand& cmd) {
  BO_ASSERT(cmd.seats.size() <= static_cast<size_t>(kSeatsPerScheduleMax));
  BO_ASSERT(cmd.ticket_types.size() <= static_cast<size_t>(kTicketTypesPerScheduleMax));
  if (!tx.FindConcert(cmd.concert_id)) {
    return MakeError(ErrorCode::kNotFound, "concert " + cmd.concert_id + " does not exist");
  }
  Schedule s;
  s.id = svc.ids.Next("sch");
  s.concert_id = cmd.concert_id;
  s.starts_at_ms = cmd.starts_at_ms;
  s.seats_total = static_cast<int>(cmd.seats.size());
  s.seats_available = s.seats_total;
  for (const auto& spec : cmd.ticket_types) {
    TicketType t;
    t.id = svc.ids.Next("tt");
    t.schedule_id = s.id;
    t.name = spec.name;
    t.price = spec.price;
    t.capacity = spec.capacity;
    s.ticket_types.push_back(std::move(t));
  }
  std::vector<Seat> seats;
  seats.reserve(cmd.seats.size());
  for (const auto& spec : cmd.seats) {
    Seat seat;
    seat.id = svc.ids.Next("seat");
    seat.schedule_id = s.id;
    seat.section = spec.section;
    seat.row = spec.row;
    seat.number = spec.number;
    seat.grade = spec.grade;
    seat.price = spec.price;
    seats.push_back(std::move(seat));
  }
  tx.InsertSchedule(s, seats);
  return s;
}

}  // namespace bo

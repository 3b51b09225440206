#include "codec/resources.h"

namespace bo {

void WriteUser(JsonWriter& w, const User& u) {
  w.BeginObject();
  w.Field("id", u.id);
  w.Field("email", u.email);
  w.Field("name", u.name);
  w.Field("grade", GradeName(u.grade));
  w.Field("role", RoleName(u.role));
  w.EndObject();
}

void WriteConcert(JsonWriter& w, const Concert& c) {
  w.BeginObject();
  w.Field("id", c.id);
  w.Field("name", c.name);
  w.Field("artist", c.artist);
  w.Field("venue", c.venue);
  w.EndObject();
}

void WriteTicketType(JsonWriter& w, const TicketType& t) {
  w.BeginObject();
  w.Field("id", t.id);
  w.Field("name", t.name);
  w.Field("price", t.price);
  w.Field("capacity", t.capacity);
  w.Field("available", t.available());
  w.EndObject();
}

void WriteSchedule(JsonWriter& w, const Schedule& s) {
  w.BeginObject();
  w.Field("id", s.id);
  w.Field("concertId", s.concert_id);
  w.Field("startsAt", FormatRfc3339(s.starts_at_ms));
  w.Field("seatsTotal", s.seats_total);
  w.Field("seatsAvailable", s.seats_available);
  w.Key("ticketTypes");
  w.BeginArray();
  for (const auto& t : s.ticket_types) WriteTicketType(w, t);
  w.EndArray();
  w.EndObject();
}

void WriteSeat(JsonWriter& w, const Seat& s) {
  w.BeginObject();
  w.Field("id", s.id);
  w.Field("section", s.section);
  w.Field("row", s.row);
  w.Field("number", s.number);
  w.Field("grade", s.grade);
  w.Field("price", s.price);
  w.Field("status", SeatStatusName(s.status));
  w.EndObject();
}

void WriteReservation(JsonWriter& w, const Reservation& r) {
  w.BeginObject();
  w.Field("id", r.id);
  w.Field("userId", r.user_id);
  w.Field("scheduleId", r.schedule_id);
  w.Field("concertId", r.concert_id);
  w.Key("seatIds");
  w.BeginArray();
  for (const auto& s : r.seat_ids) w.String(s);
  w.EndArray();
  w.NullableField("ticketTypeId", r.ticket_type_id);
  w.Field("quantity", r.quantity);
  w.Field("amount", r.amount);
  w.Field("status", ReservationStatusName(r.status));
  w.Field("expiresAt", FormatRfc3339(r.expires_at_ms));
  w.Field("createdAt", FormatRfc3339(r.created_at_ms));
  w.EndObject();
}

void WriteWalletTransaction(JsonWriter& w, const WalletTransaction& t) {
  w.BeginObject();
  w.Field("id", t.id);
  w.Field("userId", t.user_id);
  w.Field("kind", WalletTxKindName(t.kind));
  w.Field("amount", t.amount);
  w.Field("balanceAfter", t.balance_after);
  w.NullableField("paymentId", t.payment_id);
  w.Field("createdAt", FormatRfc3339(t.created_at_ms));
  w.EndObject();
}

void WriteTicket(JsonWriter& w, const Ticket& t) {
  w.BeginObject();
  w.Field("id", t.id);
  w.Field("reservationId", t.reservation_id);
  w.Field("paymentId", t.payment_id);
  w.Field("scheduleId", t.schedule_id);
  w.NullableField("seatId", t.seat_id);
  w.NullableField("ticketTypeId", t.ticket_type_id);
  w.Field("code", t.code);
  w.Field("status", TicketStatusName(t.status));
  w.EndObject();
}

void WritePayment(JsonWriter& w, const Payment& p) {
  w.BeginObject();
  w.Field("id", p.id);
  w.Field("reservationId", p.reservation_id);
  w.Field("userId", p.user_id);
  w.Field("method", p.method);
  w.Field("amount", p.amount);
  w.Field("status", p.status);
  w.Field("createdAt", FormatRfc3339(p.created_at_ms));
  w.Key("tickets");
  w.BeginArray();
  for (const auto& t : p.tickets) WriteTicket(w, t);
  w.EndArray();
  w.EndObject();
}

void WriteEvent(JsonWriter& w, const Event& e) {
  w.BeginObject();
  w.Field("id", e.id);
  w.Field("type", e.type);
  w.Field("time", FormatRfc3339(e.time_ms));
  w.Key("data");
  w.Raw(e.data_json);
  w.EndObject();
}

void WriteQueueToken(JsonWriter& w, const QueueToken& t) {
  w.BeginObject();
  w.Field("token", t.token);
  w.Field("concertId", t.concert_id);
  w.Field("status", QueueTokenStatusName(t.status));
  w.Field("position", t.position);
  w.Field("etaSeconds", t.eta_seconds);
  w.NullableField("expiresAt", t.expires_at_ms ? FormatRfc3339(*t.expires_at_ms) : "");
  w.Field("preQueue", t.in_pre_queue);
  w.EndObject();
}

void WriteWaitingRoomSettings(JsonWriter& w, std::string_view concert_id,
                              const WaitingRoomSettings& s) {
  w.BeginObject();
  w.Field("concertId", concert_id);
  w.Field("enabled", s.enabled);
  w.Field("admitPerSecond", s.admit_per_second);
  w.Field("maxActive", s.max_active);
  w.Field("activeTtlSeconds", s.active_ttl_seconds);
  w.NullableField("opensAt", s.opens_at_ms ? FormatRfc3339(*s.opens_at_ms) : "");
  w.EndObject();
}

}  // namespace bo

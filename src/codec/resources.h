// The API's JSON form of each resource (see API.md). The HTTP layer answers with these, and
// the outbox stores them as event data, so a resource looks the same wherever it is read.
#pragma once

#include <string>

#include "codec/json_writer.h"
#include "domain/catalog.h"
#include "domain/event.h"
#include "domain/payment.h"
#include "domain/reservation.h"
#include "domain/user.h"
#include "domain/waiting_room.h"
#include "domain/wallet.h"

namespace bo {

void WriteUser(JsonWriter& w, const User& u);  // {id, email, name, grade}
void WriteConcert(JsonWriter& w, const Concert& c);
void WriteTicketType(JsonWriter& w, const TicketType& t);
void WriteSchedule(JsonWriter& w, const Schedule& s);
void WriteSeat(JsonWriter& w, const Seat& s);
void WriteReservation(JsonWriter& w, const Reservation& r);
void WriteWalletTransaction(JsonWriter& w, const WalletTransaction& t);
void WriteTicket(JsonWriter& w, const Ticket& t);
void WritePayment(JsonWriter& w, const Payment& p);
void WriteEvent(JsonWriter& w, const Event& e);  // the envelope {id, type, time, data}
// {token, concertId, status, position, etaSeconds, expiresAt, preQueue}
void WriteQueueToken(JsonWriter& w, const QueueToken& t);
// {concertId, enabled, admitPerSecond, maxActive, activeTtlSeconds, opensAt}
void WriteWaitingRoomSettings(JsonWriter& w, std::string_view concert_id,
                              const WaitingRoomSettings& s);

// One resource as a whole document.
template <class T>
std::string ToJson(const T& value, void (*write)(JsonWriter&, const T&)) {
  JsonWriter w;
  write(w, value);
  return w.Take();
}

}  // namespace bo

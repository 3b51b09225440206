// Reads the server's JSON answers (API.md) into the load generator's types, with simdjson.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loadgen/invariants.h"

namespace simdjson::dom {
class parser;
}

namespace bo::loadgen {

struct TicketTypeView {
  std::string id;
  std::int64_t price = 0;
  int capacity = 0;
  int available = 0;
};

struct ScheduleView {
  std::string id;
  int seats_total = 0;
  int seats_available = 0;
  std::vector<TicketTypeView> ticket_types;
};

struct PaymentView {
  std::string id;
  std::string reservation_id;
  int tickets = 0;
};

struct TicketPage {
  std::vector<TicketView> items;
  std::string next_cursor;  // empty on the last page
};

// One reader per connection: it keeps its parser and buffer between answers, so reading an
// answer allocates only the strings it returns. Each method returns nullopt if `json` is not
// the resource it names.
class AnswerReader {
 public:
  AnswerReader();
  ~AnswerReader();
  AnswerReader(const AnswerReader&) = delete;
  AnswerReader& operator=(const AnswerReader&) = delete;

  // The "id" of any resource.
  std::optional<std::string> Id(std::string_view json);
  // A reservation: {id, seatIds, ticketTypeId, quantity, amount, createdAt, expiresAt, …}.
  std::optional<GrantedHold> Reservation(std::string_view json);
  // A payment: {id, reservationId, tickets: [...]}.
  std::optional<PaymentView> Payment(std::string_view json);
  // A schedule: {id, seatsTotal, seatsAvailable, ticketTypes: [{id, price, capacity, available}]}.
  std::optional<ScheduleView> Schedule(std::string_view json);
  // A seat map: {items: [{id, status}]}.
  std::optional<std::vector<SeatState>> SeatMap(std::string_view json);
  // A page of tickets: {items: [{id, reservationId, seatId, ticketTypeId}], nextCursor}.
  std::optional<TicketPage> Tickets(std::string_view json);
  // A queue token: {token, concertId, status, position, …}.
  std::optional<QueuePlace> QueueToken(std::string_view json);

  // "409 SEAT_UNAVAILABLE: <detail>" for a problem+json answer; for another body, the status
  // and the body's first 200 bytes.
  std::string DescribeProblem(int status, std::string_view body);

 private:
  std::unique_ptr<simdjson::dom::parser> parser_;
  std::string padded_;  // the answer copied with the padding simdjson reads past its end
};

}  // namespace bo::loadgen

// Payments and the tickets they issue.
#pragma once

#include <string>
#include <vector>

#include "common/time.h"
#include "domain/money.h"

namespace bo {

enum class TicketStatus { kValid, kRefunded };
inline std::string_view TicketStatusName(TicketStatus s) {
  return s == TicketStatus::kValid ? "VALID" : "REFUNDED";
}

struct Ticket {
  std::string id;
  std::string user_id;
  std::string payment_id;
  std::string reservation_id;
  std::string schedule_id;
  std::string seat_id;         // empty for general admission
  std::string ticket_type_id;  // empty for a seat
  std::string code;            // signed, see crypto/ticket_code.h
  TicketStatus status = TicketStatus::kValid;
};

struct Payment {
  std::string id;
  std::string user_id;
  std::string reservation_id;
  std::string method;  // "POINTS"
  Money amount = 0;
  std::string status;  // "PAID"
  UnixMs created_at_ms = 0;
  std::vector<Ticket> tickets;
};

}  // namespace bo

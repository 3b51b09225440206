// A reservation holds seats (or units of one ticket type) for a limited time until it is paid.
//
// State machine (every change is a conditional transition from one expected state):
//
//   HELD --pay (before expires_at)--> PAID --refund--> REFUNDED
//   HELD --cancel--------------------> CANCELLED
//   HELD --expire (at/after expires_at)--> EXPIRED
//
// Pay and expire are both conditional on HELD and on the clock, so at most one can win.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "domain/money.h"

namespace bo {

enum class ReservationStatus { kHeld, kPaid, kExpired, kCancelled, kRefunded };
std::string_view ReservationStatusName(ReservationStatus s);
std::optional<ReservationStatus> ParseReservationStatus(std::string_view name);

// Returns true if `from` -> `to` is an edge of the state machine above.
bool IsAllowedTransition(ReservationStatus from, ReservationStatus to);

struct Reservation {
  std::string id;
  std::string user_id;
  std::string schedule_id;
  std::string concert_id;
  std::vector<std::string> seat_ids;  // empty for a general-admission reservation
  std::string ticket_type_id;         // empty for a seated reservation
  int quantity = 0;                   // seats or units held
  Money amount = 0;
  ReservationStatus status = ReservationStatus::kHeld;
  UnixMs expires_at_ms = 0;
  UnixMs created_at_ms = 0;

  bool is_general_admission() const { return !ticket_type_id.empty(); }
};

inline constexpr int kSeatsPerReservationMax = 10;
inline constexpr int kUnitsPerReservationMax = 10;

// How long a hold lasts before it expires.
struct HoldPolicy {
  int hold_seconds = 300;
  UnixMs ExpiresAt(UnixMs now_ms) const {
    return now_ms + static_cast<UnixMs>(hold_seconds) * 1000;
  }
  static bool IsDue(const Reservation& r, UnixMs now_ms) {
    return r.status == ReservationStatus::kHeld && r.expires_at_ms <= now_ms;
  }
};

inline constexpr int kHoldSecondsMin = 1;
inline constexpr int kHoldSecondsMax = 24 * 3600;

}  // namespace bo

#include "domain/reservation.h"

namespace bo {

std::string_view ReservationStatusName(ReservationStatus s) {
  switch (s) {
    case ReservationStatus::kHeld:
      return "HELD";
    case ReservationStatus::kPaid:
      return "PAID";
    case ReservationStatus::kExpired:
      return "EXPIRED";
    case ReservationStatus::kCancelled:
      return "CANCELLED";
    case ReservationStatus::kRefunded:
      return "REFUNDED";
  }
  return "HELD";
}

std::optional<ReservationStatus> ParseReservationStatus(std::string_view name) {
  if (name == "HELD") return ReservationStatus::kHeld;
  if (name == "PAID") return ReservationStatus::kPaid;
  if (name == "EXPIRED") return ReservationStatus::kExpired;
  if (name == "CANCELLED") return ReservationStatus::kCancelled;
  if (name == "REFUNDED") return ReservationStatus::kRefunded;
  return std::nullopt;
}

bool IsAllowedTransition(ReservationStatus from, ReservationStatus to) {
  using S = ReservationStatus;
  switch (from) {
    case S::kHeld:
      return to == S::kPaid || to == S::kCancelled || to == S::kExpired;
    case S::kPaid:
      return to == S::kRefunded;
    case S::kExpired:
    case S::kCancelled:
    case S::kRefunded:
      return false;
  }
  return false;
}

}  // namespace bo

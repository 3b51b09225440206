#include "domain/reservation.h"

#include "common/enum_names.h"

namespace bo {
namespace {

constexpr EnumNames<ReservationStatus, 5> kStatuses({{{ReservationStatus::kHeld, "HELD"},
                                                      {ReservationStatus::kPaid, "PAID"},
                                                      {ReservationStatus::kExpired, "EXPIRED"},
                                                      {ReservationStatus::kCancelled, "CANCELLED"},
                                                      {ReservationStatus::kRefunded, "REFUNDED"}}});

}  // namespace

std::string_view ReservationStatusName(ReservationStatus s) { return kStatuses.Name(s); }
std::optional<ReservationStatus> ParseReservationStatus(std::string_view name) {
  return kStatuses.Parse(name);
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

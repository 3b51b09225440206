#include "domain/catalog.h"

namespace bo {

std::string_view SeatStatusName(SeatStatus s) {
  switch (s) {
    case SeatStatus::kAvailable:
      return "AVAILABLE";
    case SeatStatus::kHeld:
      return "HELD";
    case SeatStatus::kSold:
      return "SOLD";
  }
  return "AVAILABLE";
}

std::optional<SeatStatus> ParseSeatStatus(std::string_view name) {
  if (name == "AVAILABLE") return SeatStatus::kAvailable;
  if (name == "HELD") return SeatStatus::kHeld;
  if (name == "SOLD") return SeatStatus::kSold;
  return std::nullopt;
}

}  // namespace bo

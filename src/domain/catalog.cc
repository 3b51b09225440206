#include "domain/catalog.h"

#include "common/enum_names.h"

namespace bo {
namespace {

constexpr EnumNames<SeatStatus, 3> kSeatStatuses({{{SeatStatus::kAvailable, "AVAILABLE"},
                                                   {SeatStatus::kHeld, "HELD"},
                                                   {SeatStatus::kSold, "SOLD"}}});

}  // namespace

std::string_view SeatStatusName(SeatStatus s) { return kSeatStatuses.Name(s); }
std::optional<SeatStatus> ParseSeatStatus(std::string_view name) {
  return kSeatStatuses.Parse(name);
}

}  // namespace bo

// The catalog: concerts, their schedules (performances), the seats of a schedule and its
// general-admission ticket types.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/time.h"
#include "domain/money.h"

namespace bo {

struct Concert {
  std::string id;
  std::string name;
  std::string artist;
  std::string venue;
  UnixMs created_at_ms = 0;
};

enum class SeatStatus { kAvailable, kHeld, kSold };
std::string_view SeatStatusName(SeatStatus s);
std::optional<SeatStatus> ParseSeatStatus(std::string_view name);

struct Seat {
  std::string id;
  std::string schedule_id;
  std::string section;
  std::string row;
  int number = 0;
  std::string grade;  // the seat's price class ("R", "S", "VIP"), not the user's grade
  Money price = 0;
  SeatStatus status = SeatStatus::kAvailable;
};

struct TicketType {
  std::string id;
  std::string schedule_id;
  std::string name;
  Money price = 0;
  int capacity = 0;
  int taken = 0;  // units held or sold; invariant: 0 <= taken <= capacity
  int available() const { return capacity - taken; }
};

struct Schedule {
  std::string id;
  std::string concert_id;
  UnixMs starts_at_ms = 0;
  int seats_total = 0;
  int seats_available = 0;
  std::vector<TicketType> ticket_types;
};

// Limits on catalog input.
inline constexpr size_t kCatalogTextBytesMax = 200;  // names, artists, venues, sections, rows
inline constexpr int kSeatsPerScheduleMax = 100'000;
inline constexpr int kTicketTypesPerScheduleMax = 50;
inline constexpr int kTicketCapacityMax = 1'000'000;
inline constexpr int kSeatNumberMax = 100'000;

}  // namespace bo

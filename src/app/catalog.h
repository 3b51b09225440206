// Use cases of the catalog, for operators: concerts and their schedules.
#pragma once

#include <string>
#include <vector>

#include "app/services.h"
#include "common/result.h"
#include "ports/store.h"

namespace bo {

struct CreateConcertCommand {
  std::string name;
  std::string artist;
  std::string venue;
};

Result<Concert> CreateConcert(WriteTx& tx, Services& svc, const CreateConcertCommand& cmd);

struct SeatSpec {
  std::string section;
  std::string row;
  int number = 0;
  std::string grade;
  Money price = 0;
};

struct TicketTypeSpec {
  std::string name;
  Money price = 0;
  int capacity = 0;
};

struct CreateScheduleCommand {
  std::string concert_id;
  UnixMs starts_at_ms = 0;
  std::vector<SeatSpec> seats;               // REQUIRES: size <= kSeatsPerScheduleMax, no two alike
  std::vector<TicketTypeSpec> ticket_types;  // REQUIRES: size <= kTicketTypesPerScheduleMax
};

// Creates a schedule with all its seats available. kNotFound if the concert does not exist.
Result<Schedule> CreateSchedule(WriteTx& tx, Services& svc, const CreateScheduleCommand& cmd);

}  // namespace bo

#include "cli/demo.h"

#include <stdexcept>

#include "app/catalog.h"
#include "app/submit.h"

namespace bo {

bool LoadDemoCatalog(Store& store, Services& svc) {
  if (!store.Read()->ListConcerts("", 1).items.empty()) return false;
  struct DemoConcert {
    const char* name;
    const char* artist;
    const char* venue;
  };
  const DemoConcert concerts[] = {
      {"Winter Lights", "Aurora Quartet", "Seoul Arts Center"},
      {"Midnight Rally", "The Night Owls", "Olympic Hall"},
      {"Spring Overture", "City Philharmonic", "Lotte Concert Hall"},
  };
  const UnixMs day_ms = 86'400'000;
  const UnixMs first_ms = (svc.clock.NowMs() / day_ms + 30) * day_ms + 19 * 3'600'000;  // 19:00Z
  int index = 0;
  for (const auto& d : concerts) {
    auto concert = RunUseCase<Concert>(store, [&](WriteTx& tx) {
      return CreateConcert(tx, svc, CreateConcertCommand{d.name, d.artist, d.venue});
    });
    if (!concert.ok()) throw std::runtime_error("demo: " + concert.error().detail);
    for (int s = 0; s < 2; ++s) {
      CreateScheduleCommand cmd;
      cmd.concert_id = concert->id;
      cmd.starts_at_ms = first_ms + (index * 7 + s) * day_ms;
      for (const char* section : {"A", "B"}) {
        for (int row = 1; row <= 5; ++row) {
          for (int n = 1; n <= 10; ++n) {
            const bool front = row <= 2;
            cmd.seats.push_back(SeatSpec{section, std::to_string(row), n, front ? "R" : "S",
                                         front ? 150'000 : 99'000});
          }
        }
      }
      cmd.ticket_types.push_back(TicketTypeSpec{"Standing", 55'000, 100});
      auto schedule =
          RunUseCase<Schedule>(store, [&](WriteTx& tx) { return CreateSchedule(tx, svc, cmd); });
      if (!schedule.ok()) throw std::runtime_error("demo: " + schedule.error().detail);
    }
    ++index;
  }
  return true;
}

}  // namespace bo

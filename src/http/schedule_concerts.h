// The concert of each schedule, remembered once read from the store.
//
// A hold whose concert's waiting room may be on needs the concert of its schedule before the
// gate, on the I/O thread. A schedule never moves to another concert and is never deleted, so
// a remembered answer never goes stale, and the busiest schedule of a sale is read once instead
// of once per hold (on PostgreSQL, a round trip that would block the I/O thread). A schedule
// the store does not have is not remembered: it may be created the next moment.
#pragma once

#include <cstddef>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "ports/store.h"

namespace bo {

class ScheduleConcerts {
 public:
  static constexpr size_t kSchedulesMaxDefault = 100'000;

  // At most `schedules_max` remembered; past that they are all forgotten and remembered anew
  // as they are asked for. REQUIRES: schedules_max >= 1.
  explicit ScheduleConcerts(size_t schedules_max = kSchedulesMaxDefault);

  // The concert of `schedule_id`, or nullopt if the store has no such schedule. Reads the
  // store (and may throw what its reads throw) only for a schedule not remembered.
  // Thread-safe.
  std::optional<std::string> Find(Store& store, const std::string& schedule_id);

 private:
  const size_t schedules_max_;
  std::shared_mutex mu_;
  std::unordered_map<std::string, std::string> concert_by_schedule_;  // guarded by mu_
};

}  // namespace bo

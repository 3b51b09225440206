#include "http/schedule_concerts.h"

#include <mutex>

#include "common/assert.h"

namespace bo {

ScheduleConcerts::ScheduleConcerts(size_t schedules_max) : schedules_max_(schedules_max) {
  BO_ASSERT(schedules_max >= 1);
}

std::optional<std::string> ScheduleConcerts::Find(Store& store, const std::string& schedule_id) {
  {
    std::shared_lock lock(mu_);
    const auto found = concert_by_schedule_.find(schedule_id);
    if (found != concert_by_schedule_.end()) return found->second;
  }
  const auto schedule = store.Read()->FindSchedule(schedule_id);
  if (!schedule) return std::nullopt;
  std::unique_lock lock(mu_);
  if (concert_by_schedule_.size() >= schedules_max_) concert_by_schedule_.clear();
  concert_by_schedule_.emplace(schedule_id, schedule->concert_id);
  return schedule->concert_id;
}

}  // namespace bo

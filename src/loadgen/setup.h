// Data preparation and reading through the API: the catalog a scenario sells from (created with
// an admin token) and what the checks read back after the load.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/time.h"
#include "loadgen/api_client.h"

namespace bo::loadgen {

// The `seatRows` shorthand for a schedule of `seats` seats in section "A": one row when
// seats <= 1000, else rows of 100 (seats must then be a multiple of 100, at most 100,000).
struct SeatRows {
  int rows = 0;
  int per_row = 0;
};
std::optional<SeatRows> SeatRowsFor(int seats);

// A general-admission ticket type to create.
struct NewTicketType {
  std::string name;
  std::int64_t price = 0;
  int capacity = 0;
};

// Price of every seat the load generator creates (won).
inline constexpr std::int64_t kBenchSeatPrice = 50'000;

// POST /v1/admin/concerts; returns the concert's id.
boost::asio::awaitable<Result<std::string>> CreateConcert(ApiClient& api,
                                                          const std::string& admin_token,
                                                          const std::string& name);

// POST /v1/admin/concerts/{id}/schedules with `seats` seats (REQUIRES: 0, or SeatRowsFor(seats)
// has a value) at kBenchSeatPrice and the given ticket types; returns the schedule as answered.
boost::asio::awaitable<Result<ScheduleView>> CreateSchedule(
    ApiClient& api, const std::string& admin_token, const std::string& concert_id,
    UnixMs starts_at_ms, int seats, const std::vector<NewTicketType>& ticket_types);

// GET /v1/schedules/{id}.
boost::asio::awaitable<Result<ScheduleView>> ReadSchedule(ApiClient& api,
                                                          const std::string& schedule_id);

// GET /v1/schedules/{id}/seats.
boost::asio::awaitable<Result<std::vector<SeatState>>> ReadSeatMap(ApiClient& api,
                                                                   const std::string& schedule_id);

// Every page of GET /v1/tickets for the user of `token` (at most kTicketPagesMax pages).
inline constexpr int kTicketPagesMax = 10'000;
boost::asio::awaitable<Result<std::vector<TicketView>>> ReadTickets(ApiClient& api,
                                                                    const std::string& token);

// A waiting room's settings (API.md, Waiting room).
struct RoomSettings {
  int admit_per_second = 0;
  int max_active = 0;
  int active_ttl_seconds = 0;
};

// PUT /v1/admin/concerts/{id}/waiting-room: turns the concert's room on with `settings`.
boost::asio::awaitable<Status> OpenWaitingRoom(ApiClient& api, const std::string& admin_token,
                                               const std::string& concert_id,
                                               const RoomSettings& settings);

// POST /v1/queue/tokens {concertId} as the user of `token`; any 2xx place is returned.
boost::asio::awaitable<Result<QueuePlace>> JoinQueue(ApiClient& api, const std::string& token,
                                                     const std::string& concert_id);

// GET /v1/queue/tokens/{queue_token} as the user of `token`; nullopt if it answers 404.
boost::asio::awaitable<Result<std::optional<QueuePlace>>> ReadQueuePlace(
    ApiClient& api, const std::string& token, const std::string& queue_token);

// `text` as a JSON string, quotes included (for request bodies assembled from parts).
std::string JsonQuoted(std::string_view text);

}  // namespace bo::loadgen

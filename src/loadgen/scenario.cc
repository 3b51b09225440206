#include "loadgen/scenario.h"

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>

#include "codec/json_writer.h"
#include "common/assert.h"
#include "domain/waiting_room.h"
#include "loadgen/setup.h"

namespace bo::loadgen {

const std::vector<ScenarioInfo>& ScenarioList() {
  static const std::vector<ScenarioInfo> kList = {
      {"healthz", "GET /healthz: the server's HTTP baseline"},
      {"browse",
       "concert list 20%, a month of schedules 30%, a seat map 50% (30 schedules of --seats)"},
      {"flash-sale",
       "buyers race for the --seats of one schedule; each request holds 1 to "
       "--seats-per-hold-max random seats"},
      {"ga-sale",
       "buyers race for one ticket type of --capacity units; each request holds 1 to "
       "--quantity-max"},
      {"pay",
       "one operation = hold seats, charge the wallet, pay (both with an Idempotency-Key); "
       "--seats in the schedule"},
      {"queue",
       "a waiting room's rush: each request is POST /v1/queue/tokens by a buyer new to the "
       "room"},
      {"queue-status",
       "GET /v1/queue/tokens/{token} by a random one of --users buyers who took places first"},
  };
  return kList;
}

std::unique_ptr<Scenario> MakeScenario(std::string_view name, const ScenarioOptions& options) {
  if (name == "healthz") return NewHealthzScenario(options);
  if (name == "browse") return NewBrowseScenario(options);
  if (name == "flash-sale") return NewFlashSaleScenario(options);
  if (name == "ga-sale") return NewGaSaleScenario(options);
  if (name == "pay") return NewPayScenario(options);
  if (name == "queue") return NewQueueScenario(options);
  if (name == "queue-status") return NewQueueStatusScenario(options);
  BO_ASSERT(false && "unknown scenario");
  return nullptr;
}

HttpSession::HttpSession(boost::asio::any_io_executor executor,
                         std::shared_ptr<const HttpConnectionOptions> http)
    : connection_(std::move(executor), std::move(http)), random_(std::random_device{}()) {}

boost::asio::awaitable<void> HttpSession::Open() { co_await connection_.Connect(); }

int HttpSession::Uniform(int low, int high) {
  BO_ASSERT(low <= high);
  return std::uniform_int_distribution<int>(low, high)(random_);
}

SeatCatalog::SeatCatalog(const std::string& schedule_id, std::vector<SeatState> seats)
    : schedule_id_(schedule_id) {
  BO_ASSERT(!seats.empty());
  seat_ids_.reserve(seats.size());
  quoted_seat_ids_.reserve(seats.size());
  for (auto& s : seats) {
    quoted_seat_ids_.push_back(JsonQuoted(s.id));
    seat_ids_.push_back(std::move(s.id));
  }
  body_prefix_ = "{\"scheduleId\":" + JsonQuoted(schedule_id) + ",\"seatIds\":[";
}

void SeatCatalog::HoldBody(const int* indexes, int count, std::string& body) const {
  BO_ASSERT(count >= 1);
  body.assign(body_prefix_);
  for (int i = 0; i < count; ++i) {
    if (i > 0) body.push_back(',');
    body.append(quoted_seat_ids_[static_cast<size_t>(indexes[i])]);
  }
  body.append("]}");
}

int DistinctRandom(std::mt19937_64& random, int n, int count, int* out) {
  BO_ASSERT(count >= 1 && count <= kSeatsPerHoldMax && n >= 1);
  count = std::min(count, n);
  std::uniform_int_distribution<int> pick(0, n - 1);
  for (int i = 0; i < count;) {
    const int candidate = pick(random);
    // Rejection sampling: count <= min(10, n), so a value not yet drawn always exists.
    if (std::find(out, out + i, candidate) == out + i) out[i++] = candidate;
  }
  return count;
}

boost::asio::awaitable<Result<SeatCatalog>> PrepareSeatedSchedule(ApiClient& api,
                                                                  const ScenarioOptions& options,
                                                                  std::string concert_name,
                                                                  std::string* concert_id) {
  auto concert = co_await CreateConcert(api, options.admin_token, concert_name);
  if (!concert.ok()) co_return concert.error();
  *concert_id = *concert;
  auto schedule = co_await CreateSchedule(api, options.admin_token, *concert_id,
                                          *ParseRfc3339(kBenchStartsAt), options.seats, {});
  if (!schedule.ok()) co_return schedule.error();
  auto seats = co_await ReadSeatMap(api, schedule->id);
  if (!seats.ok()) co_return seats.error();
  if (seats->empty()) co_return MakeError(ErrorCode::kInternal, "the new schedule has no seats");
  co_return SeatCatalog(schedule->id, std::move(*seats));
}

boost::asio::awaitable<Result<std::string>> PrepareQueuedConcert(ApiClient& api,
                                                                 const ScenarioOptions& options,
                                                                 std::string concert_name) {
  auto concert = co_await CreateConcert(api, options.admin_token, concert_name);
  if (!concert.ok()) co_return concert.error();
  const Status opened = co_await OpenWaitingRoom(api, options.admin_token, *concert, options.room);
  if (!opened.ok()) co_return opened.error();
  co_return std::move(*concert);
}

boost::asio::awaitable<Result<std::vector<std::string>>> AdmitEveryBuyer(
    ApiClient& api, const ScenarioOptions& options, const std::string& concert_id) {
  const int buyers = options.users->size();
  const RoomSettings room{.admit_per_second = kAdmitPerSecondMax,
                          .max_active = buyers,
                          .active_ttl_seconds = kActiveTtlSecondsMax};
  const Status opened = co_await OpenWaitingRoom(api, options.admin_token, concert_id, room);
  if (!opened.ok()) co_return opened.error();
  std::vector<std::string> tokens;
  tokens.reserve(static_cast<size_t>(buyers));
  std::vector<int> waiting;  // buyers not yet ACTIVE
  for (int i = 0; i < buyers; ++i) {
    auto place = co_await JoinQueue(api, options.users->token(i), concert_id);
    if (!place.ok()) co_return place.error();
    tokens.push_back(std::move(place->token));
    if (place->status != "ACTIVE") waiting.push_back(i);
  }
  // The room admits at most a second's worth at once: the rest within the next seconds.
  boost::asio::steady_timer pause(co_await boost::asio::this_coro::executor);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(kAdmissionWaitSecondsMax);
  while (!waiting.empty()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      co_return MakeError(ErrorCode::kUnavailable,
                          std::to_string(waiting.size()) + " buyers were not admitted within " +
                              std::to_string(kAdmissionWaitSecondsMax) + " s");
    }
    pause.expires_after(std::chrono::milliseconds(100));
    co_await pause.async_wait(boost::asio::use_awaitable);
    std::vector<int> still;
    for (const int i : waiting) {
      auto place =
          co_await ReadQueuePlace(api, options.users->token(i), tokens[static_cast<size_t>(i)]);
      if (!place.ok()) co_return place.error();
      if (!place->has_value() || (*place)->status == "EXPIRED") {
        co_return MakeError(ErrorCode::kInternal,
                            "the queue token of buyer " + std::to_string(i) + " ended before use");
      }
      if ((*place)->status != "ACTIVE") still.push_back(i);
    }
    waiting = std::move(still);
  }
  co_return tokens;
}

}  // namespace bo::loadgen

// browse: what people do before a sale opens. Each operation is one of: the concert list
// (GET /v1/concerts, 20%), a month of one concert's schedules (GET
// /v1/concerts/{id}/schedules?from=&to=, 30%), or the seat map of one of its schedules
// (GET /v1/schedules/{id}/seats, 50%). The concert has kBrowseSchedules schedules, one a day
// in one month, each with --seats seats.
#include "common/time.h"
#include "loadgen/scenario.h"
#include "loadgen/setup.h"

namespace bo::loadgen {
namespace {

namespace asio = boost::asio;

constexpr int kBrowseSchedules = 30;
constexpr UnixMs kDayMs = 24 * 3600 * 1000;
constexpr std::string_view kMonthFrom = "2030-06-01T00:00:00Z";
constexpr std::string_view kMonthTo = "2030-07-01T00:00:00Z";

// The targets an operation picks from, built once.
struct BrowseTargets {
  std::string concerts = "/v1/concerts";
  std::string month;
  std::vector<std::string> seat_maps;
};

class BrowseSession final : public HttpSession {
 public:
  BrowseSession(asio::any_io_executor executor, std::shared_ptr<const HttpConnectionOptions> http,
                const BrowseTargets& targets)
      : HttpSession(std::move(executor), std::move(http)), targets_(targets) {}

  asio::awaitable<Outcome> RunOnce(std::int64_t) override {
    const int dice = Uniform(0, 9);
    HttpCall call;
    if (dice < 2) {
      call.target = targets_.concerts;
    } else if (dice < 5) {
      call.target = targets_.month;
    } else {
      const int i = Uniform(0, static_cast<int>(targets_.seat_maps.size()) - 1);
      call.target = targets_.seat_maps[static_cast<size_t>(i)];
    }
    const HttpAnswer answer = co_await connection_.Send(call);
    co_return Outcome{answer.status, 1};
  }

 private:
  const BrowseTargets& targets_;
};

class BrowseScenario final : public Scenario {
 public:
  explicit BrowseScenario(const ScenarioOptions& options) : options_(options) {}

  asio::awaitable<Status> Prepare(ApiClient& api) override {
    auto concert =
        co_await CreateConcert(api, options_.admin_token, "bench browse " + options_.run_id);
    if (!concert.ok()) co_return concert.error();
    concert_id_ = *concert;
    const UnixMs first = *ParseRfc3339(kBenchStartsAt);
    for (int day = 0; day < kBrowseSchedules; ++day) {
      auto schedule = co_await CreateSchedule(api, options_.admin_token, concert_id_,
                                              first + day * kDayMs, options_.seats, {});
      if (!schedule.ok()) co_return schedule.error();
      targets_.seat_maps.push_back("/v1/schedules/" + schedule->id + "/seats");
    }
    targets_.month = "/v1/concerts/" + concert_id_ + "/schedules?from=" + std::string(kMonthFrom) +
                     "&to=" + std::string(kMonthTo);
    co_return Ok();
  }

  std::unique_ptr<LoadSession> NewSession(int, int, asio::any_io_executor executor) override {
    return std::make_unique<BrowseSession>(std::move(executor), options_.http, targets_);
  }

  asio::awaitable<std::optional<InvariantReport>> Verify(ApiClient&) override {
    co_return std::nullopt;
  }

  std::vector<Fact> Facts() const override {
    return {Fact::Text("concertId", concert_id_), Fact::Number("schedules", kBrowseSchedules),
            Fact::Number("seatsPerSchedule", options_.seats)};
  }

 private:
  ScenarioOptions options_;
  std::string concert_id_;
  BrowseTargets targets_;
};

}  // namespace

std::unique_ptr<Scenario> NewBrowseScenario(const ScenarioOptions& options) {
  return std::make_unique<BrowseScenario>(options);
}

}  // namespace bo::loadgen

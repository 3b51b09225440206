// A scenario: what `boxoffice bench NAME` prepares through the admin API, what each connection
// does in one operation, and what it checks afterwards.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "loadgen/answers.h"
#include "loadgen/api_client.h"
#include "loadgen/driver.h"
#include "loadgen/http_client.h"
#include "loadgen/invariants.h"
#include "loadgen/report.h"
#include "loadgen/setup.h"
#include "loadgen/tokens.h"

namespace bo::loadgen {

struct ScenarioOptions {
  std::string run_id;
  int connections = 1;
  int threads = 1;
  int seats = 0;               // flash-sale, pay: of the schedule; browse: of each schedule
  int capacity = 0;            // ga-sale: of the ticket type
  int seats_per_hold_max = 4;  // flash-sale, pay: a hold asks for 1 to this many seats
  // flash-sale: each hold asks for seats no earlier hold of the run asked for (the seats in a
  // shuffled order) until every seat was asked for, then for random ones. Measures holds taken
  // rather than buyers colliding on random seats.
  bool distinct_seats = false;
  // flash-sale: the concert's waiting room is on, with room for every buyer; each buyer is
  // admitted before the load, and every hold sends its buyer's ACTIVE Queue-Token.
  bool through_waiting_room = false;
  int quantity_max = 4;  // ga-sale: a hold asks for 1 to this many units
  RoomSettings room;     // queue, queue-status: the concert's waiting room
  std::shared_ptr<const HttpConnectionOptions> http;
  std::string admin_token;
  std::shared_ptr<const UserMinter> minter;  // users beyond `users`: users->size() and up
  std::shared_ptr<const BenchUsers> users;
};

class Scenario {
 public:
  virtual ~Scenario() = default;

  // Creates the data the load needs through the admin API. Runs once, before the load.
  virtual boost::asio::awaitable<Status> Prepare(ApiClient& api) = 0;

  // The session of one connection (see SessionFactory). Called after Prepare succeeded.
  virtual std::unique_ptr<LoadSession> NewSession(int connection_index, int thread_index,
                                                  boost::asio::any_io_executor executor) = 0;

  // Runs after the load has ended: reads what the API shows and checks it against what the
  // sessions saw. nullopt when the scenario promises nothing to check.
  virtual boost::asio::awaitable<std::optional<InvariantReport>> Verify(ApiClient& api) = 0;

  // What the run created and sold, for the report.
  virtual std::vector<Fact> Facts() const = 0;
  // Multi-step operations: each step's own numbers.
  virtual std::vector<StepSummary> Steps() const { return {}; }
};

struct ScenarioInfo {
  std::string_view name;
  std::string_view summary;  // one line for --help
};
const std::vector<ScenarioInfo>& ScenarioList();

// REQUIRES: `name` is in ScenarioList().
std::unique_ptr<Scenario> MakeScenario(std::string_view name, const ScenarioOptions& options);

// The scenarios, one file each.
std::unique_ptr<Scenario> NewHealthzScenario(const ScenarioOptions& options);
std::unique_ptr<Scenario> NewBrowseScenario(const ScenarioOptions& options);
std::unique_ptr<Scenario> NewFlashSaleScenario(const ScenarioOptions& options);
std::unique_ptr<Scenario> NewGaSaleScenario(const ScenarioOptions& options);
std::unique_ptr<Scenario> NewPayScenario(const ScenarioOptions& options);
std::unique_ptr<Scenario> NewQueueScenario(const ScenarioOptions& options);
std::unique_ptr<Scenario> NewQueueStatusScenario(const ScenarioOptions& options);

// What most sessions have: one kept-alive connection, a reader for its answers, a random
// generator of its own, and a request body buffer reused from one operation to the next.
class HttpSession : public LoadSession {
 public:
  HttpSession(boost::asio::any_io_executor executor,
              std::shared_ptr<const HttpConnectionOptions> http);
  boost::asio::awaitable<void> Open() override;

 protected:
  // A uniformly random integer in [low, high]. REQUIRES: low <= high.
  int Uniform(int low, int high);

  HttpConnection connection_;
  AnswerReader reader_;
  std::mt19937_64 random_;
  std::string body_;
};

// The seats of one schedule, and the parts of a hold's body assembled from them without
// allocating: {"scheduleId":"…","seatIds":["…",…]}.
class SeatCatalog {
 public:
  // REQUIRES: seats is not empty.
  SeatCatalog(const std::string& schedule_id, std::vector<SeatState> seats);

  int size() const { return static_cast<int>(seat_ids_.size()); }
  const std::string& schedule_id() const { return schedule_id_; }
  const std::string& seat_id(int i) const { return seat_ids_[static_cast<size_t>(i)]; }

  // Replaces `body` with the hold of seats[indexes[0..count-1]].
  // REQUIRES: 1 <= count, each index in [0, size()).
  void HoldBody(const int* indexes, int count, std::string& body) const;

 private:
  std::string schedule_id_;
  std::vector<std::string> seat_ids_;
  std::vector<std::string> quoted_seat_ids_;  // as JSON strings
  std::string body_prefix_;                   // {"scheduleId":"…","seatIds":[
};

// Up to kSeatsPerHoldMax distinct random integers in [0, n) into `out`; returns how many
// (min(count, n)). REQUIRES: 1 <= count <= kSeatsPerHoldMax, n >= 1.
inline constexpr int kSeatsPerHoldMax = 10;  // API.md: at most 10 seats per reservation
int DistinctRandom(std::mt19937_64& random, int n, int count, int* out);

// When the schedules the load generator creates start.
inline constexpr std::string_view kBenchStartsAt = "2030-06-01T19:00:00Z";

// Creates the concert `concert_name` (its id into *concert_id) with one schedule of
// options.seats seats, and returns that schedule's seat map.
boost::asio::awaitable<Result<SeatCatalog>> PrepareSeatedSchedule(ApiClient& api,
                                                                  const ScenarioOptions& options,
                                                                  std::string concert_name,
                                                                  std::string* concert_id);

// Creates the concert `concert_name` and turns its waiting room on with options.room; returns
// the concert's id.
boost::asio::awaitable<Result<std::string>> PrepareQueuedConcert(ApiClient& api,
                                                                 const ScenarioOptions& options,
                                                                 std::string concert_name);

// Turns the waiting room of `concert_id` on with room for every buyer of options.users, has
// each of them join it and waits until all are ACTIVE (at most kAdmissionWaitSecondsMax).
// Returns each buyer's queue token, by buyer index. The server must allow that many joins
// from one address (--queue-joins-per-address-per-minute).
inline constexpr int kAdmissionWaitSecondsMax = 60;
boost::asio::awaitable<Result<std::vector<std::string>>> AdmitEveryBuyer(
    ApiClient& api, const ScenarioOptions& options, const std::string& concert_id);

}  // namespace bo::loadgen

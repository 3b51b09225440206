// flash-sale: every connection races for the seats of one fresh schedule of --seats seats. Each
// operation is one POST /v1/reservations for 1 to --seats-per-hold-max distinct random seats by
// a random one of --users buyers; once the seats are gone every answer is 409. With
// --distinct-seats the seats are asked for in a shuffled order shared by every connection, so
// no two holds ask for one seat until every seat was asked for. With --through-waiting-room the
// concert's waiting room is on and every hold passes its gate with its buyer's ACTIVE
// Queue-Token (each buyer admitted before the load). Afterwards the
// seat map must agree with the 201 answers: no seat in two of them, each of their seats HELD,
// no seat taken that no answer granted.
#include <algorithm>
#include <atomic>
#include <numeric>

#include "loadgen/scenario.h"
#include "loadgen/setup.h"
#include "ports/clock.h"

namespace bo::loadgen {
namespace {

namespace asio = boost::asio;

// Every seat index once, shuffled, handed out front to back to the sessions of every thread.
struct SeatOrder {
  std::vector<int> indexes;
  std::atomic<std::int64_t> next{0};
};

// What one connection saw; written by its session only.
struct SeatSaleLog {
  std::vector<GrantedHold> holds;
  std::vector<std::string> unanswered_seat_ids;
  std::int64_t unreadable = 0;
};

class FlashSaleSession final : public HttpSession {
 public:
  // `order`: the shared order of --distinct-seats, or nullptr for random seats.
  // `queue_tokens`: each buyer's, by index, with --through-waiting-room; else empty.
  FlashSaleSession(asio::any_io_executor executor, const ScenarioOptions& options,
                   const SeatCatalog& seats, SeatOrder* order,
                   const std::vector<std::string>& queue_tokens, SeatSaleLog& log)
      : HttpSession(std::move(executor), options.http),
        options_(options),
        seats_(seats),
        order_(order),
        queue_tokens_(queue_tokens),
        log_(log) {}

  asio::awaitable<Outcome> RunOnce(std::int64_t) override {
    int indexes[kSeatsPerHoldMax];
    const int count = PickSeats(Uniform(1, options_.seats_per_hold_max), indexes);
    seats_.HoldBody(indexes, count, body_);
    HttpCall call;
    call.method = HttpMethod::kPost;
    call.target = "/v1/reservations";
    call.body = body_;
    const int buyer = Uniform(0, options_.users->size() - 1);
    call.bearer_token = options_.users->token(buyer);
    if (!queue_tokens_.empty()) call.queue_token = queue_tokens_[static_cast<size_t>(buyer)];
    const HttpAnswer answer = co_await connection_.Send(call);
    if (!answer.answered()) {
      for (int i = 0; i < count; ++i)
        log_.unanswered_seat_ids.push_back(seats_.seat_id(indexes[i]));
    } else if (answer.status == 201) {
      if (auto hold = reader_.Reservation(answer.body)) {
        log_.holds.push_back(std::move(*hold));
      } else {
        ++log_.unreadable;
      }
    }
    co_return Outcome{answer.status, 1};
  }

 private:
  // Fills `out` with `wanted` distinct seat indexes (fewer if the schedule has fewer seats);
  // returns how many.
  int PickSeats(int wanted, int* out) {
    if (order_ != nullptr) {
      const std::int64_t first = order_->next.fetch_add(wanted);
      const auto n = static_cast<std::int64_t>(order_->indexes.size());
      if (first + wanted <= n) {
        for (int i = 0; i < wanted; ++i) out[i] = order_->indexes[static_cast<size_t>(first + i)];
        return wanted;
      }
    }
    return DistinctRandom(random_, seats_.size(), wanted, out);
  }

  const ScenarioOptions& options_;
  const SeatCatalog& seats_;
  SeatOrder* order_;
  const std::vector<std::string>& queue_tokens_;
  SeatSaleLog& log_;
};

class FlashSaleScenario final : public Scenario {
 public:
  explicit FlashSaleScenario(const ScenarioOptions& options)
      : options_(options), logs_(static_cast<size_t>(options.connections)) {}

  asio::awaitable<Status> Prepare(ApiClient& api) override {
    auto seats = co_await PrepareSeatedSchedule(
        api, options_, "bench flash-sale " + options_.run_id, &concert_id_);
    if (!seats.ok()) co_return seats.error();
    seats_.emplace(std::move(*seats));
    if (options_.through_waiting_room) {
      auto tokens = co_await AdmitEveryBuyer(api, options_, concert_id_);
      if (!tokens.ok()) co_return tokens.error();
      queue_tokens_ = std::move(*tokens);
    }
    if (options_.distinct_seats) {
      order_.indexes.resize(static_cast<size_t>(seats_->size()));
      std::iota(order_.indexes.begin(), order_.indexes.end(), 0);
      std::shuffle(order_.indexes.begin(), order_.indexes.end(),
                   std::mt19937_64(std::random_device{}()));
    }
    co_return Ok();
  }

  std::unique_ptr<LoadSession> NewSession(int connection_index, int,
                                          asio::any_io_executor executor) override {
    return std::make_unique<FlashSaleSession>(
        std::move(executor), options_, *seats_, options_.distinct_seats ? &order_ : nullptr,
        queue_tokens_, logs_[static_cast<size_t>(connection_index)]);
  }

  asio::awaitable<std::optional<InvariantReport>> Verify(ApiClient& api) override {
    SeatSaleObservation o;
    for (auto& log : logs_) {
      std::move(log.holds.begin(), log.holds.end(), std::back_inserter(o.holds));
      std::move(log.unanswered_seat_ids.begin(), log.unanswered_seat_ids.end(),
                std::back_inserter(o.unanswered_seat_ids));
      o.unreadable_answers += log.unreadable;
    }
    logs_.clear();
    auto map = co_await ReadSeatMap(api, seats_->schedule_id());
    o.checked_at_ms = SystemClock().NowMs();
    if (!map.ok()) {
      co_return InvariantReport{{Check{"seat map readable", false, map.error().detail}}};
    }
    o.seat_map = std::move(*map);
    holds_ = static_cast<std::int64_t>(o.holds.size());
    for (const auto& h : o.holds) seats_held_ += static_cast<std::int64_t>(h.seat_ids.size());
    co_return CheckSeatSale(o);
  }

  std::vector<Fact> Facts() const override {
    return {Fact::Text("concertId", concert_id_),
            Fact::Text("scheduleId", seats_ ? seats_->schedule_id() : ""),
            Fact::Number("seats", options_.seats),
            Fact::Number("holdsGranted", holds_),
            Fact::Number("seatsHeld", seats_held_),
            Fact::Number("buyersAdmitted", static_cast<std::int64_t>(queue_tokens_.size()))};
  }

 private:
  ScenarioOptions options_;
  std::string concert_id_;
  std::optional<SeatCatalog> seats_;
  SeatOrder order_;                        // --distinct-seats only
  std::vector<std::string> queue_tokens_;  // --through-waiting-room only
  std::vector<SeatSaleLog> logs_;          // one per connection
  std::int64_t holds_ = 0;
  std::int64_t seats_held_ = 0;
};

}  // namespace

std::unique_ptr<Scenario> NewFlashSaleScenario(const ScenarioOptions& options) {
  return std::make_unique<FlashSaleScenario>(options);
}

}  // namespace bo::loadgen

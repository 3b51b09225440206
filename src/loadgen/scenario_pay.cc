// pay: the whole purchase. One operation (one "request" of the report) is a flow of three HTTP
// requests by one of --users buyers:
//   1. POST /v1/reservations for 1 to --seats-per-hold-max seats, taken in order from a fresh
//      schedule of --seats seats (no two flows ask for the same seat while seats remain; after
//      that, random seats, which the server refuses with 409);
//   2. POST /v1/wallet/charges {amount: the reservation's amount} with an Idempotency-Key;
//   3. POST /v1/payments {reservationId, method: "POINTS"} with an Idempotency-Key.
// The flow stops at the first step that does not answer 201. Its status is that of its last
// step (201: paid), its latency covers every step it made, and each step's own numbers are in
// the report's `steps`. Afterwards every payment must have one ticket per seat, and no seat two.
#include <array>
#include <atomic>
#include <chrono>
#include <set>

#include "loadgen/scenario.h"
#include "loadgen/setup.h"
#include "ports/clock.h"

namespace bo::loadgen {
namespace {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

enum Step { kHold = 0, kCharge = 1, kPay = 2, kStepCount = 3 };
constexpr const char* kStepNames[kStepCount] = {"hold", "charge", "pay"};

using StepRecorders = std::array<Recorder, kStepCount>;

// What one connection saw; written by its session only.
struct PayLog {
  std::vector<GrantedHold> holds;
  std::vector<std::string> unanswered_seat_ids;
  std::vector<PaidReservation> paid;
  std::vector<std::string> unanswered_payment_reservation_ids;
  std::vector<int> paying_users;  // users with a payment, answered or not (may repeat)
  std::int64_t unreadable_holds = 0;
  std::int64_t unreadable_payments = 0;
};

class PaySession final : public HttpSession {
 public:
  PaySession(asio::any_io_executor executor, const ScenarioOptions& options,
             const SeatCatalog& seats, std::atomic<std::int64_t>& next_seat, PayLog& log,
             StepRecorders& steps)
      : HttpSession(std::move(executor), options.http),
        options_(options),
        seats_(seats),
        next_seat_(next_seat),
        log_(log),
        steps_(steps) {}

  asio::awaitable<Outcome> RunOnce(std::int64_t sequence) override {
    const int user = static_cast<int>(sequence % options_.users->size());
    const std::string& token = options_.users->token(user);

    // 1. Hold.
    int indexes[kSeatsPerHoldMax];
    int count = std::min(Uniform(1, options_.seats_per_hold_max), seats_.size());
    const std::int64_t first = next_seat_.fetch_add(count, std::memory_order_relaxed);
    if (first + count <= seats_.size()) {
      for (int i = 0; i < count; ++i) indexes[i] = static_cast<int>(first) + i;
    } else {
      count = DistinctRandom(random_, seats_.size(), count, indexes);
    }
    seats_.HoldBody(indexes, count, body_);
    HttpAnswer answer = co_await Send(kHold, "/v1/reservations", token, "");
    if (!answer.answered()) {
      for (int i = 0; i < count; ++i)
        log_.unanswered_seat_ids.push_back(seats_.seat_id(indexes[i]));
    }
    if (answer.status != 201) co_return Outcome{answer.status, 1};
    auto hold = reader_.Reservation(answer.body);
    if (!hold) {
      ++log_.unreadable_holds;
      co_return Outcome{answer.status, 1};
    }
    log_.holds.push_back(*hold);

    // 2. Charge exactly the amount to pay.
    body_.assign("{\"amount\":");
    body_.append(std::to_string(hold->amount));
    body_.push_back('}');
    Key(sequence, "-charge");
    answer = co_await Send(kCharge, "/v1/wallet/charges", token, key_);
    if (answer.status != 201) co_return Outcome{answer.status, 2};

    // 3. Pay.
    body_.assign("{\"reservationId\":");
    body_.append(JsonQuoted(hold->reservation_id));
    body_.append(",\"method\":\"POINTS\"}");
    Key(sequence, "-pay");
    answer = co_await Send(kPay, "/v1/payments", token, key_);
    if (!answer.answered()) {
      log_.unanswered_payment_reservation_ids.push_back(hold->reservation_id);
      log_.paying_users.push_back(user);
    } else if (answer.status == 201) {
      log_.paying_users.push_back(user);
      if (auto payment = reader_.Payment(answer.body)) {
        log_.paid.push_back(
            PaidReservation{std::move(payment->id), std::move(*hold), payment->tickets});
      } else {
        ++log_.unreadable_payments;
      }
    }
    co_return Outcome{answer.status, 3};
  }

 private:
  // Sends body_ as step `step` and records the step's latency and status.
  asio::awaitable<HttpAnswer> Send(Step step, std::string_view target, std::string_view token,
                                   std::string_view idempotency_key) {
    HttpCall call;
    call.method = HttpMethod::kPost;
    call.target = target;
    call.body = body_;
    call.bearer_token = token;
    call.idempotency_key = idempotency_key;
    const auto start = SteadyClock::now();
    const HttpAnswer answer = co_await connection_.Send(call);
    Recorder& r = steps_[step];
    if (answer.answered()) {
      r.RecordAnswer(
          std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start).count(),
          answer.status);
    } else {
      r.RecordError();
    }
    r.AddHttpRequests(1);
    co_return answer;
  }

  // key_ = "bench-<run id>-<sequence><suffix>": unique per run, step and flow.
  void Key(std::int64_t sequence, std::string_view suffix) {
    key_.assign("bench-");
    key_.append(options_.run_id);
    key_.push_back('-');
    key_.append(std::to_string(sequence));
    key_.append(suffix);
  }

  const ScenarioOptions& options_;
  const SeatCatalog& seats_;
  std::atomic<std::int64_t>& next_seat_;
  PayLog& log_;
  StepRecorders& steps_;  // of this session's thread
  std::string key_;
};

class PayScenario final : public Scenario {
 public:
  explicit PayScenario(const ScenarioOptions& options)
      : options_(options),
        logs_(static_cast<size_t>(options.connections)),
        steps_(static_cast<size_t>(options.threads)) {}

  asio::awaitable<Status> Prepare(ApiClient& api) override {
    auto seats =
        co_await PrepareSeatedSchedule(api, options_, "bench pay " + options_.run_id, &concert_id_);
    if (!seats.ok()) co_return seats.error();
    seats_.emplace(std::move(*seats));
    co_return Ok();
  }

  std::unique_ptr<LoadSession> NewSession(int connection_index, int thread_index,
                                          asio::any_io_executor executor) override {
    return std::make_unique<PaySession>(std::move(executor), options_, *seats_, next_seat_,
                                        logs_[static_cast<size_t>(connection_index)],
                                        steps_[static_cast<size_t>(thread_index)]);
  }

  asio::awaitable<std::optional<InvariantReport>> Verify(ApiClient& api) override {
    PaySaleObservation o;
    std::set<int> users;
    for (auto& log : logs_) {
      std::move(log.holds.begin(), log.holds.end(), std::back_inserter(o.seats.holds));
      std::move(log.unanswered_seat_ids.begin(), log.unanswered_seat_ids.end(),
                std::back_inserter(o.seats.unanswered_seat_ids));
      o.seats.unreadable_answers += log.unreadable_holds;
      std::move(log.paid.begin(), log.paid.end(), std::back_inserter(o.paid));
      std::move(log.unanswered_payment_reservation_ids.begin(),
                log.unanswered_payment_reservation_ids.end(),
                std::back_inserter(o.unanswered_payment_reservation_ids));
      o.unreadable_payment_answers += log.unreadable_payments;
      users.insert(log.paying_users.begin(), log.paying_users.end());
    }
    logs_.clear();
    for (const int user : users) {
      auto tickets = co_await ReadTickets(api, options_.users->token(user));
      if (!tickets.ok()) {
        co_return InvariantReport{{Check{"tickets readable", false, tickets.error().detail}}};
      }
      std::move(tickets->begin(), tickets->end(), std::back_inserter(o.tickets));
    }
    auto map = co_await ReadSeatMap(api, seats_->schedule_id());
    o.seats.checked_at_ms = SystemClock().NowMs();
    if (!map.ok()) {
      co_return InvariantReport{{Check{"seat map readable", false, map.error().detail}}};
    }
    o.seats.seat_map = std::move(*map);
    paid_ = static_cast<std::int64_t>(o.paid.size());
    for (const auto& p : o.paid) tickets_in_answers_ += p.tickets_in_answer;
    tickets_listed_ = static_cast<std::int64_t>(o.tickets.size());
    for (const auto& s : o.seats.seat_map) seats_sold_ += s.status == SeatStatus::kSold ? 1 : 0;
    co_return CheckPaySale(o);
  }

  std::vector<Fact> Facts() const override {
    return {Fact::Text("concertId", concert_id_),
            Fact::Text("scheduleId", seats_ ? seats_->schedule_id() : ""),
            Fact::Number("seats", options_.seats),
            Fact::Number("flowsPaid", paid_),
            Fact::Number("ticketsInAnswers", tickets_in_answers_),
            Fact::Number("ticketsListed", tickets_listed_),
            Fact::Number("seatsSold", seats_sold_)};
  }

  std::vector<StepSummary> Steps() const override {
    std::vector<StepSummary> out;
    for (int step = 0; step < kStepCount; ++step) {
      StepSummary s;
      s.name = kStepNames[step];
      for (const auto& per_thread : steps_) s.recorder.Merge(per_thread[static_cast<size_t>(step)]);
      out.push_back(std::move(s));
    }
    return out;
  }

 private:
  ScenarioOptions options_;
  std::string concert_id_;
  std::optional<SeatCatalog> seats_;
  std::atomic<std::int64_t> next_seat_{0};  // the next seat no flow has asked for yet
  std::vector<PayLog> logs_;                // one per connection
  std::vector<StepRecorders> steps_;        // one per thread
  std::int64_t paid_ = 0;
  std::int64_t tickets_in_answers_ = 0;
  std::int64_t tickets_listed_ = 0;
  std::int64_t seats_sold_ = 0;
};

}  // namespace

std::unique_ptr<Scenario> NewPayScenario(const ScenarioOptions& options) {
  return std::make_unique<PayScenario>(options);
}

}  // namespace bo::loadgen

// ga-sale: every connection races for one general-admission ticket type of --capacity units.
// Each operation is one POST /v1/reservations {scheduleId, ticketTypeId, quantity} for 1 to
// --quantity-max units by a random one of --users buyers; once the units are gone every answer
// is 409 SOLD_OUT. Afterwards capacity - available must equal the units of the 201 answers,
// never more than the capacity.
#include <algorithm>

#include "codec/json_writer.h"
#include "loadgen/scenario.h"
#include "loadgen/setup.h"
#include "ports/clock.h"

namespace bo::loadgen {
namespace {

namespace asio = boost::asio;

struct GaSaleLog {
  std::vector<GrantedHold> holds;
  std::int64_t unanswered_quantity = 0;
  std::int64_t unreadable = 0;
};

class GaSaleSession final : public HttpSession {
 public:
  GaSaleSession(asio::any_io_executor executor, const ScenarioOptions& options,
                const std::string& body_prefix, GaSaleLog& log)
      : HttpSession(std::move(executor), options.http),
        options_(options),
        body_prefix_(body_prefix),
        log_(log) {}

  asio::awaitable<Outcome> RunOnce(std::int64_t) override {
    const int quantity = Uniform(1, options_.quantity_max);
    body_.assign(body_prefix_);
    body_.append(std::to_string(quantity));  // at most two digits: no allocation (SSO)
    body_.push_back('}');
    HttpCall call;
    call.method = HttpMethod::kPost;
    call.target = "/v1/reservations";
    call.body = body_;
    call.bearer_token = options_.users->token(Uniform(0, options_.users->size() - 1));
    const HttpAnswer answer = co_await connection_.Send(call);
    if (!answer.answered()) {
      log_.unanswered_quantity += quantity;
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
  const ScenarioOptions& options_;
  const std::string& body_prefix_;
  GaSaleLog& log_;
};

class GaSaleScenario final : public Scenario {
 public:
  explicit GaSaleScenario(const ScenarioOptions& options)
      : options_(options), logs_(static_cast<size_t>(options.connections)) {}

  asio::awaitable<Status> Prepare(ApiClient& api) override {
    auto concert =
        co_await CreateConcert(api, options_.admin_token, "bench ga-sale " + options_.run_id);
    if (!concert.ok()) co_return concert.error();
    concert_id_ = *concert;
    // Built without a braced list: GCC 12 miscompiles initializer lists inside coroutines.
    std::vector<NewTicketType> types(1);
    types[0].name = "Standing";
    types[0].price = 30'000;
    types[0].capacity = options_.capacity;
    auto schedule = co_await CreateSchedule(api, options_.admin_token, concert_id_,
                                            *ParseRfc3339(kBenchStartsAt), 0, types);
    if (!schedule.ok()) co_return schedule.error();
    if (schedule->ticket_types.size() != 1) {
      co_return MakeError(ErrorCode::kInternal, "the new schedule does not have one ticket type");
    }
    schedule_id_ = schedule->id;
    ticket_type_id_ = schedule->ticket_types[0].id;
    JsonWriter w;
    w.BeginObject();
    w.Field("scheduleId", schedule_id_);
    w.Field("ticketTypeId", ticket_type_id_);
    w.Key("quantity");
    body_prefix_ = w.Take();  // {"scheduleId":"…","ticketTypeId":"…","quantity": (open)
    co_return Ok();
  }

  std::unique_ptr<LoadSession> NewSession(int connection_index, int,
                                          asio::any_io_executor executor) override {
    return std::make_unique<GaSaleSession>(std::move(executor), options_, body_prefix_,
                                           logs_[static_cast<size_t>(connection_index)]);
  }

  asio::awaitable<std::optional<InvariantReport>> Verify(ApiClient& api) override {
    GaSaleObservation o;
    o.capacity = options_.capacity;
    for (auto& log : logs_) {
      std::move(log.holds.begin(), log.holds.end(), std::back_inserter(o.holds));
      o.unanswered_quantity += log.unanswered_quantity;
      o.unreadable_answers += log.unreadable;
    }
    logs_.clear();
    auto schedule = co_await ReadSchedule(api, schedule_id_);
    o.checked_at_ms = SystemClock().NowMs();
    if (!schedule.ok()) {
      co_return InvariantReport{{Check{"schedule readable", false, schedule.error().detail}}};
    }
    const auto type =
        std::find_if(schedule->ticket_types.begin(), schedule->ticket_types.end(),
                     [this](const TicketTypeView& t) { return t.id == ticket_type_id_; });
    if (type == schedule->ticket_types.end()) {
      co_return InvariantReport{{Check{"ticket type listed", false, ticket_type_id_ + " is gone"}}};
    }
    o.available = type->available;
    available_ = o.available;
    for (const auto& h : o.holds) units_held_ += h.quantity;
    holds_ = static_cast<std::int64_t>(o.holds.size());
    co_return CheckGaSale(o);
  }

  std::vector<Fact> Facts() const override {
    return {
        Fact::Text("concertId", concert_id_),        Fact::Text("scheduleId", schedule_id_),
        Fact::Text("ticketTypeId", ticket_type_id_), Fact::Number("capacity", options_.capacity),
        Fact::Number("holdsGranted", holds_),        Fact::Number("unitsHeld", units_held_),
        Fact::Number("available", available_)};
  }

 private:
  ScenarioOptions options_;
  std::string concert_id_;
  std::string schedule_id_;
  std::string ticket_type_id_;
  std::string body_prefix_;
  std::vector<GaSaleLog> logs_;  // one per connection
  std::int64_t holds_ = 0;
  std::int64_t units_held_ = 0;
  std::int64_t available_ = 0;
};

}  // namespace

std::unique_ptr<Scenario> NewGaSaleScenario(const ScenarioOptions& options) {
  return std::make_unique<GaSaleScenario>(options);
}

}  // namespace bo::loadgen

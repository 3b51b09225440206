// queue: the rush when a sale opens. One concert's waiting room is on (--admit-per-second,
// --max-active, --active-ttl-seconds); each operation is one POST /v1/queue/tokens {concertId}
// by a buyer new to the room, minted for that operation, so every answer should be a new place
// (201). Afterwards (invariants.h, CheckQueueJoins): no token given twice, no new buyer given an
// old place, and a sample of the places, read back, never moved back and kept their order.
#include <algorithm>

#include "loadgen/scenario.h"
#include "loadgen/setup.h"

namespace bo::loadgen {
namespace {

namespace asio = boost::asio;

// Places read back after the load, spread over the connections.
constexpr size_t kReadBackMax = 2000;

struct QueueJoinLog {
  std::vector<QueuePlace> places;   // the 201 answers, in order
  std::vector<std::int64_t> users;  // the minted user of each, same order
  std::int64_t existing = 0;        // 200 answers
  std::int64_t unreadable = 0;
};

class QueueJoinSession final : public HttpSession {
 public:
  QueueJoinSession(asio::any_io_executor executor, const ScenarioOptions& options,
                   const std::string& body, QueueJoinLog& log)
      : HttpSession(std::move(executor), options.http), options_(options), body_(body), log_(log) {}

  asio::awaitable<Outcome> RunOnce(std::int64_t sequence) override {
    // Users 0 .. users->size()-1 are the prepared ones; each operation has one of its own.
    const std::int64_t user = options_.users->size() + sequence;
    token_ = options_.minter->Mint(user);
    HttpCall call;
    call.method = HttpMethod::kPost;
    call.target = "/v1/queue/tokens";
    call.body = body_;
    call.bearer_token = token_;
    const HttpAnswer answer = co_await connection_.Send(call);
    if (answer.status == 201) {
      if (auto place = reader_.QueueToken(answer.body)) {
        log_.places.push_back(std::move(*place));
        log_.users.push_back(user);
      } else {
        ++log_.unreadable;
      }
    } else if (answer.status == 200) {
      ++log_.existing;
    }
    co_return Outcome{answer.status, 1};
  }

 private:
  const ScenarioOptions& options_;
  const std::string& body_;
  QueueJoinLog& log_;
  std::string token_;
};

class QueueJoinScenario final : public Scenario {
 public:
  explicit QueueJoinScenario(const ScenarioOptions& options)
      : options_(options), logs_(static_cast<size_t>(options.connections)) {}

  asio::awaitable<Status> Prepare(ApiClient& api) override {
    auto concert = co_await PrepareQueuedConcert(api, options_, "bench queue " + options_.run_id);
    if (!concert.ok()) co_return concert.error();
    concert_id_ = *concert;
    body_ = "{\"concertId\":" + JsonQuoted(concert_id_) + "}";
    co_return Ok();
  }

  std::unique_ptr<LoadSession> NewSession(int connection_index, int,
                                          asio::any_io_executor executor) override {
    return std::make_unique<QueueJoinSession>(std::move(executor), options_, body_,
                                              logs_[static_cast<size_t>(connection_index)]);
  }

  asio::awaitable<std::optional<InvariantReport>> Verify(ApiClient& api) override {
    QueueJoinObservation o;
    o.concert_id = concert_id_;
    for (auto& log : logs_) {
      o.existing_places += log.existing;
      o.unreadable_answers += log.unreadable;
      joined_ += static_cast<std::int64_t>(log.places.size());
      o.joined.push_back(std::move(log.places));
    }
    // An even sample of each connection's places, read latest first (see QueueJoinObservation).
    const size_t per_connection = std::max<size_t>(1, kReadBackMax / logs_.size());
    for (size_t c = 0; c < o.joined.size(); ++c) {
      const size_t n = o.joined[c].size();
      const size_t step = std::max<size_t>(1, (n + per_connection - 1) / per_connection);
      for (size_t k = (n == 0 ? 0 : (n - 1) / step + 1); k-- > 0;) {
        const size_t i = k * step;
        const std::string token = options_.minter->Mint(logs_[c].users[i]);
        auto now = co_await ReadQueuePlace(api, token, o.joined[c][i].token);
        if (!now.ok()) {
          co_return InvariantReport{{Check{"places readable", false, now.error().detail}}};
        }
        o.read_back.push_back(QueueJoinObservation::ReadBack{c, i, std::move(*now)});
      }
    }
    read_back_ = static_cast<std::int64_t>(o.read_back.size());
    logs_.clear();
    co_return CheckQueueJoins(o);
  }

  std::vector<Fact> Facts() const override {
    return {Fact::Text("concertId", concert_id_), Fact::Number("placesGiven", joined_),
            Fact::Number("placesReadBack", read_back_)};
  }

 private:
  ScenarioOptions options_;
  std::string concert_id_;
  std::string body_;
  std::vector<QueueJoinLog> logs_;  // one per connection
  std::int64_t joined_ = 0;
  std::int64_t read_back_ = 0;
};

}  // namespace

std::unique_ptr<Scenario> NewQueueScenario(const ScenarioOptions& options) {
  return std::make_unique<QueueJoinScenario>(options);
}

}  // namespace bo::loadgen

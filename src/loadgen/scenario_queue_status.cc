// queue-status: buyers in line asking where they stand. Before the load, each of --users buyers
// takes a place in one concert's waiting room; each operation is one GET
// /v1/queue/tokens/{token} by a random one of them, with its own access token. Afterwards:
// every read answered 200 with the place asked for.
#include "loadgen/scenario.h"
#include "loadgen/setup.h"

namespace bo::loadgen {
namespace {

namespace asio = boost::asio;

struct QueueStatusLog {
  std::int64_t misread = 0;  // 200 answers that are not the place asked for
  std::string first_misread;
};

class QueueStatusSession final : public HttpSession {
 public:
  QueueStatusSession(asio::any_io_executor executor, const ScenarioOptions& options,
                     const std::vector<std::string>& targets,
                     const std::vector<std::string>& tokens, QueueStatusLog& log)
      : HttpSession(std::move(executor), options.http),
        options_(options),
        targets_(targets),
        tokens_(tokens),
        log_(log) {}

  asio::awaitable<Outcome> RunOnce(std::int64_t) override {
    const int user = Uniform(0, options_.users->size() - 1);
    HttpCall call;
    call.target = targets_[static_cast<size_t>(user)];
    call.bearer_token = options_.users->token(user);
    const HttpAnswer answer = co_await connection_.Send(call);
    if (answer.status == 200) {
      const auto place = reader_.QueueToken(answer.body);
      if (!place || place->token != tokens_[static_cast<size_t>(user)]) {
        if (log_.misread++ == 0) log_.first_misread = std::string(answer.body.substr(0, 200));
      }
    }
    co_return Outcome{answer.status, 1};
  }

 private:
  const ScenarioOptions& options_;
  const std::vector<std::string>& targets_;
  const std::vector<std::string>& tokens_;
  QueueStatusLog& log_;
};

class QueueStatusScenario final : public Scenario {
 public:
  explicit QueueStatusScenario(const ScenarioOptions& options)
      : options_(options), logs_(static_cast<size_t>(options.connections)) {}

  asio::awaitable<Status> Prepare(ApiClient& api) override {
    auto concert =
        co_await PrepareQueuedConcert(api, options_, "bench queue-status " + options_.run_id);
    if (!concert.ok()) co_return concert.error();
    concert_id_ = *concert;
    const int users = options_.users->size();
    tokens_.reserve(static_cast<size_t>(users));
    targets_.reserve(static_cast<size_t>(users));
    for (int i = 0; i < users; ++i) {
      auto place = co_await JoinQueue(api, options_.users->token(i), concert_id_);
      if (!place.ok()) co_return place.error();
      targets_.push_back("/v1/queue/tokens/" + place->token);
      tokens_.push_back(std::move(place->token));
    }
    co_return Ok();
  }

  std::unique_ptr<LoadSession> NewSession(int connection_index, int,
                                          asio::any_io_executor executor) override {
    return std::make_unique<QueueStatusSession>(std::move(executor), options_, targets_, tokens_,
                                                logs_[static_cast<size_t>(connection_index)]);
  }

  asio::awaitable<std::optional<InvariantReport>> Verify(ApiClient&) override {
    Check c{"every 200 answer is the place asked for", true,
            std::to_string(tokens_.size()) + " places read"};
    std::int64_t misread = 0;
    for (const auto& log : logs_) {
      if (log.misread > 0 && misread == 0) c.detail = "for example: " + log.first_misread;
      misread += log.misread;
    }
    if (misread > 0) {
      c.ok = false;
      c.detail = std::to_string(misread) + " answers were not the place asked for; " + c.detail;
    }
    co_return InvariantReport{{c}};
  }

  std::vector<Fact> Facts() const override {
    return {Fact::Text("concertId", concert_id_),
            Fact::Number("places", static_cast<std::int64_t>(tokens_.size()))};
  }

 private:
  ScenarioOptions options_;
  std::string concert_id_;
  std::vector<std::string> tokens_;   // user i's queue token
  std::vector<std::string> targets_;  // user i's GET target
  std::vector<QueueStatusLog> logs_;  // one per connection
};

}  // namespace

std::unique_ptr<Scenario> NewQueueStatusScenario(const ScenarioOptions& options) {
  return std::make_unique<QueueStatusScenario>(options);
}

}  // namespace bo::loadgen

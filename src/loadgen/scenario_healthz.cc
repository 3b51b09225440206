// healthz: GET /healthz, the cost of the HTTP path alone (no store, no JSON).
#include "loadgen/scenario.h"

namespace bo::loadgen {
namespace {

namespace asio = boost::asio;

class HealthzSession final : public HttpSession {
 public:
  using HttpSession::HttpSession;

  asio::awaitable<Outcome> RunOnce(std::int64_t) override {
    HttpCall call;
    call.target = "/healthz";
    const HttpAnswer answer = co_await connection_.Send(call);
    co_return Outcome{answer.status, 1};
  }
};

class HealthzScenario final : public Scenario {
 public:
  explicit HealthzScenario(const ScenarioOptions& options) : options_(options) {}

  // Nothing to create; one request shows that the target answers before the load starts.
  asio::awaitable<Status> Prepare(ApiClient& api) override {
    HttpCall call;
    call.target = "/healthz";
    auto answer = co_await api.Call(call, 200);
    if (!answer.ok()) co_return answer.error();
    co_return Ok();
  }

  std::unique_ptr<LoadSession> NewSession(int, int, asio::any_io_executor executor) override {
    return std::make_unique<HealthzSession>(std::move(executor), options_.http);
  }

  asio::awaitable<std::optional<InvariantReport>> Verify(ApiClient&) override {
    co_return std::nullopt;
  }

  std::vector<Fact> Facts() const override { return {}; }

 private:
  ScenarioOptions options_;
};

}  // namespace

std::unique_ptr<Scenario> NewHealthzScenario(const ScenarioOptions& options) {
  return std::make_unique<HealthzScenario>(options);
}

}  // namespace bo::loadgen

#include "loadgen/api_client.h"

namespace bo::loadgen {

ApiClient::ApiClient(HttpConnection& connection, AnswerReader& reader)
    : connection_(connection), reader_(reader) {}

boost::asio::awaitable<Result<std::string>> ApiClient::Call(const HttpCall& call,
                                                            int expected_status) {
  const std::string what =
      std::string(call.method == HttpMethod::kPost ? "POST " : "GET ") + std::string(call.target);
  const HttpAnswer answer = co_await connection_.Send(call);
  if (!answer.answered()) {
    co_return MakeError(ErrorCode::kUnavailable,
                        what + ": no answer: " + std::string(answer.error));
  }
  if (answer.status != expected_status) {
    co_return MakeError(ErrorCode::kInternal,
                        what + ": " + reader_.DescribeProblem(answer.status, answer.body) +
                            " (expected " + std::to_string(expected_status) + ")");
  }
  co_return std::string(answer.body);
}

}  // namespace bo::loadgen

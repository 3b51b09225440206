#include "loadgen/api_client.h"

namespace bo::loadgen {

ApiClient::ApiClient(HttpConnection& connection, AnswerReader& reader)
    : connection_(connection), reader_(reader) {}

namespace {

std::string Describe(const HttpCall& call) {
  const char* method = call.method == HttpMethod::kPost  ? "POST "
                       : call.method == HttpMethod::kPut ? "PUT "
                                                         : "GET ";
  return method + std::string(call.target);
}

}  // namespace

boost::asio::awaitable<Result<ApiClient::Answer>> ApiClient::Send(const HttpCall& call) {
  const HttpAnswer answer = co_await connection_.Send(call);
  if (!answer.answered()) {
    co_return MakeError(ErrorCode::kUnavailable,
                        Describe(call) + ": no answer: " + std::string(answer.error));
  }
  co_return Answer{answer.status, std::string(answer.body)};
}

boost::asio::awaitable<Result<std::string>> ApiClient::Call(const HttpCall& call,
                                                            int expected_status) {
  auto answer = co_await Send(call);
  if (!answer.ok()) co_return answer.error();
  if (answer->status != expected_status) {
    co_return Unexpected(call, *answer, std::to_string(expected_status));
  }
  co_return std::move(answer->body);
}

Error ApiClient::Unexpected(const HttpCall& call, const Answer& answer,
                            const std::string& expected) {
  return MakeError(ErrorCode::kInternal, Describe(call) + ": " +
                                             reader_.DescribeProblem(answer.status, answer.body) +
                                             " (expected " + expected + ")");
}

}  // namespace bo::loadgen

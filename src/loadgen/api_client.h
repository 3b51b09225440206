// The API calls the load generator makes outside the timed load (setup before it, checks after
// it), one at a time on one connection. A failure is a readable error that names the call and
// carries the server's problem: "POST /v1/admin/concerts: 401 UNAUTHENTICATED: bad signature".
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string>

#include "common/result.h"
#include "loadgen/answers.h"
#include "loadgen/http_client.h"

namespace bo::loadgen {

class ApiClient {
 public:
  // REQUIRES: `connection` and `reader` outlive the client.
  ApiClient(HttpConnection& connection, AnswerReader& reader);

  struct Answer {
    int status = 0;
    std::string body;
  };
  // Sends `call`. Returns its answer, whatever the status; kUnavailable if there was none.
  boost::asio::awaitable<Result<Answer>> Send(const HttpCall& call);

  // Sends `call`. Returns the answer's body if its status is `expected_status`; otherwise
  // kUnavailable if there was no answer, or Unexpected(...).
  boost::asio::awaitable<Result<std::string>> Call(const HttpCall& call, int expected_status);

  // kInternal naming the call, the answer's status and problem, and what was `expected`.
  Error Unexpected(const HttpCall& call, const Answer& answer, const std::string& expected);

  AnswerReader& reader() { return reader_; }

 private:
  HttpConnection& connection_;
  AnswerReader& reader_;
};

}  // namespace bo::loadgen

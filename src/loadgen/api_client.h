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

  // Sends `call`. Returns the answer's body if its status is `expected_status`; otherwise
  // kUnavailable if there was no answer, or kInternal naming the status and the problem.
  boost::asio::awaitable<Result<std::string>> Call(const HttpCall& call, int expected_status);

  AnswerReader& reader() { return reader_; }

 private:
  HttpConnection& connection_;
  AnswerReader& reader_;
};

}  // namespace bo::loadgen

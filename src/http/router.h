// Routes a method and path to a handler. Patterns are literal segments and `{name}` segments,
// which capture one non-empty path segment.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain/user.h"
#include "http/message.h"

namespace bo {

// Who may call a route.
enum class Access { kPublic, kUser, kAdmin };

// One request on its way through the API: the request, the captured path parameters, the
// authenticated caller, and the way to answer.
struct Call {
  HttpRequest request;
  std::vector<std::string> params;  // in pattern order
  std::optional<Principal> principal;
  Respond respond;

  const Principal& caller() const { return *principal; }  // REQUIRES: the route is not public
};

using RouteHandler = std::function<void(std::shared_ptr<Call>)>;

struct Route {
  std::string method;
  std::string pattern;  // also the metrics label
  Access access;
  RouteHandler handler;
};

class Router {
 public:
  void Add(std::string method, std::string pattern, Access access, RouteHandler handler);

  struct Match {
    const Route* route = nullptr;  // null: no route
    bool path_known = false;       // the path matched with another method (405)
    std::vector<std::string> params;
  };
  Match Find(std::string_view method, std::string_view path) const;

 private:
  struct Entry {
    Route route;
    std::vector<std::string> segments;  // "{...}" for a parameter
  };
  std::vector<Entry> entries_;
};

}  // namespace bo

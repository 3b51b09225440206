#include "http/router.h"

namespace bo {
namespace {

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    const size_t j = path.find('/', i);
    out.push_back(path.substr(i, j == std::string_view::npos ? path.size() - i : j - i));
    if (j == std::string_view::npos) break;
    i = j;
  }
  return out;
}

}  // namespace

void Router::Add(std::string method, std::string pattern, Access access, RouteHandler handler) {
  Entry e{Route{std::move(method), std::move(pattern), access, std::move(handler)}, {}};
  for (auto s : Split(e.route.pattern)) e.segments.emplace_back(s);
  entries_.push_back(std::move(e));
}

Router::Match Router::Find(std::string_view method, std::string_view path) const {
  Match m;
  const auto parts = Split(path);
  for (const auto& e : entries_) {
    if (e.segments.size() != parts.size()) continue;
    std::vector<std::string> params;
    bool ok = true;
    for (size_t i = 0; i < parts.size() && ok; ++i) {
      if (e.segments[i].front() == '{') {
        params.emplace_back(parts[i]);
      } else {
        ok = e.segments[i] == parts[i];
      }
    }
    if (!ok) continue;
    if (e.route.method != method) {
      m.path_known = true;
      continue;
    }
    m.route = &e.route;
    m.params = std::move(params);
    return m;
  }
  return m;
}

}  // namespace bo

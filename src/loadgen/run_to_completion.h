// Runs one coroutine to its end on an io_context, from ordinary code (setup and checks run
// this way before and after the load).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>
#include <utility>

namespace bo::loadgen {

// Returns what `work` returns, or rethrows what it threw. Runs `ctx` on the calling thread
// until it has no work left.
// REQUIRES: nothing else runs `ctx` meanwhile.
template <class T>
T RunToCompletion(boost::asio::io_context& ctx, boost::asio::awaitable<T> work) {
  std::optional<T> out;
  std::exception_ptr error;
  // A wrapper that returns void, because co_spawn of awaitable<T> needs T to have a default
  // constructor, which Result<T> has not.
  boost::asio::co_spawn(
      ctx,
      [&out, &work]() -> boost::asio::awaitable<void> { out.emplace(co_await std::move(work)); },
      [&error](std::exception_ptr e) { error = e; });
  ctx.restart();
  ctx.run();
  if (error) std::rethrow_exception(error);
  return std::move(*out);
}

}  // namespace bo::loadgen

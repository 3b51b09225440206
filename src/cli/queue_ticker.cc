#include "cli/queue_ticker.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace bo {

QueueTicker::QueueTicker(WaitingRoom& room, const Clock& clock, Metrics& metrics,
                         std::function<void(UnixMs)> after_round)
    : room_(room),
      clock_(clock),
      metrics_(metrics),
      after_round_(std::move(after_round)),
      thread_([this] { Run(); }) {}

QueueTicker::~QueueTicker() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void QueueTicker::Run() {
  // Rounds keep a steady cadence: a slow round shortens the next wait, never adds up.
  auto next = std::chrono::steady_clock::now();
  bool failing = false;
  for (;;) {
    next += std::chrono::milliseconds(kAdmitIntervalMs);
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_until(lock, next, [this] { return stopping_; })) return;
    }
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;
    const UnixMs now_ms = clock_.NowMs();
    auto round = room_.Tick(now_ms);
    if (!round.ok()) {
      if (!failing) spdlog::error("waiting room admission round: {}", round.error().detail);
      failing = true;
      continue;
    }
    if (failing) spdlog::info("waiting room admission rounds work again");
    failing = false;
    metrics_.queue_admitted.Increment(static_cast<double>(round->admitted));
    metrics_.queue_expired.Increment(static_cast<double>(round->expired));
    for (const std::int64_t waited_ms : round->waited_ms) {
      metrics_.queue_wait_seconds.Observe(static_cast<double>(waited_ms) / 1000.0);
    }
    if (after_round_) after_round_(now_ms);
  }
}

}  // namespace bo

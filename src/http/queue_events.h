// Live queue tokens over Server-Sent Events (GET /v1/queue/tokens/{token}/events): each
// subscription follows one token on one stream. Publish, run after every admission round,
// sends a token's state when its status, position or ETA changed, at most one event per
// kEventIntervalMs per stream, and a comment after kKeepAliveMs of silence (a dead connection
// then fails to write). A stream ends after the token's EXPIRED event, when the token is gone,
// or when its client is.
//
// Each event is `event: token` and `data: <the token as GET /v1/queue/tokens/{token} answers>`.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "http/message.h"
#include "http/metrics.h"
#include "ports/waiting_room.h"

namespace bo {

inline constexpr UnixMs kEventIntervalMs = 1000;
inline constexpr UnixMs kKeepAliveMs = 15'000;

class QueueEvents {
 public:
  // REQUIRES: the references outlive this; subscriptions_max >= 1.
  QueueEvents(WaitingRoom& room, Metrics& metrics, size_t subscriptions_max);

  // Whether another subscription would pass subscriptions_max.
  bool full() const;

  // Follows `current` (a token its caller may read) on `stream`, sending its state at once.
  // Closes the stream at once if subscriptions_max are open, or if the token has ended.
  void Subscribe(const QueueToken& current, std::shared_ptr<ResponseStream> stream, UnixMs now_ms);

  // Sends what changed since the last event of each stream; drops the streams that ended.
  void Publish(UnixMs now_ms);

  // Ends every stream (the server is stopping).
  void CloseAll();

  size_t size() const;

  // The text of one event for `token`.
  static std::string EventText(const QueueToken& token);

 private:
  struct Subscription {
    std::string token;
    std::weak_ptr<ResponseStream> stream;
    QueueToken last_sent;
    UnixMs last_event_ms = 0;
    UnixMs last_write_ms = 0;
  };

  // Writes `text` to the subscription's stream; false if the stream is gone or closed.
  static bool Send(Subscription& s, std::string text, UnixMs now_ms);

  WaitingRoom& room_;
  Metrics& metrics_;
  const size_t subscriptions_max_;
  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Subscription>> subscriptions_;
};

}  // namespace bo

#include "http/queue_events.h"

#include <algorithm>
#include <unordered_set>

#include "codec/resources.h"
#include "common/assert.h"

namespace bo {
namespace {

bool SameState(const QueueToken& a, const QueueToken& b) {
  return a.status == b.status && a.position == b.position && a.eta_seconds == b.eta_seconds &&
         a.expires_at_ms == b.expires_at_ms && a.in_pre_queue == b.in_pre_queue;
}

}  // namespace

QueueEvents::QueueEvents(WaitingRoom& room, Metrics& metrics, size_t subscriptions_max)
    : room_(room), metrics_(metrics), subscriptions_max_(subscriptions_max) {
  BO_ASSERT(subscriptions_max_ >= 1);
}

std::string QueueEvents::EventText(const QueueToken& token) {
  return "event: token\ndata: " + ToJson(token, &WriteQueueToken) + "\n\n";
}

bool QueueEvents::Send(Subscription& s, std::string text, UnixMs now_ms) {
  auto stream = s.stream.lock();
  if (!stream || !stream->Write(std::move(text))) return false;
  s.last_write_ms = now_ms;
  return true;
}

bool QueueEvents::full() const {
  std::lock_guard lock(mu_);
  return subscriptions_.size() >= subscriptions_max_;
}

size_t QueueEvents::size() const {
  std::lock_guard lock(mu_);
  return subscriptions_.size();
}

void QueueEvents::Subscribe(const QueueToken& current, std::shared_ptr<ResponseStream> stream,
                            UnixMs now_ms) {
  auto s = std::make_shared<Subscription>();
  s->token = current.token;
  s->stream = stream;
  s->last_sent = current;
  s->last_event_ms = now_ms;
  std::lock_guard lock(mu_);
  if (subscriptions_.size() >= subscriptions_max_) {
    stream->Close();
    return;
  }
  if (!Send(*s, EventText(current), now_ms) || current.status == QueueTokenStatus::kExpired) {
    stream->Close();
    return;
  }
  subscriptions_.push_back(std::move(s));
  metrics_.queue_streams.Set(static_cast<double>(subscriptions_.size()));
}

void QueueEvents::Publish(UnixMs now_ms) {
  // Only streams whose last event is kEventIntervalMs old may get one; look those up at once,
  // without holding the lock while the waiting room answers.
  std::vector<std::shared_ptr<Subscription>> due;
  std::vector<std::string> tokens;
  {
    std::lock_guard lock(mu_);
    for (const auto& s : subscriptions_) {
      if (now_ms - s->last_event_ms >= kEventIntervalMs) {
        due.push_back(s);
        tokens.push_back(s->token);
      }
    }
  }
  if (due.empty()) return;
  auto found = room_.FindMany(tokens, now_ms);
  if (!found.ok()) return;  // the next round tries again
  BO_ASSERT(found->size() == due.size());

  std::unordered_set<const Subscription*> ended;
  for (size_t i = 0; i < due.size(); ++i) {
    Subscription& s = *due[i];
    const auto& token = (*found)[i];
    auto stream = s.stream.lock();
    if (!stream || !stream->is_open() || !token) {
      if (stream) stream->Close();
      ended.insert(&s);
      continue;
    }
    bool alive = true;
    if (!SameState(*token, s.last_sent)) {
      alive = Send(s, EventText(*token), now_ms);
      s.last_sent = *token;
      s.last_event_ms = now_ms;
      if (token->status == QueueTokenStatus::kExpired) {
        stream->Close();
        alive = false;
      }
    } else if (now_ms - s.last_write_ms >= kKeepAliveMs) {
      alive = Send(s, ": keep-alive\n\n", now_ms);
    }
    if (!alive) ended.insert(&s);
  }
  if (ended.empty()) return;
  std::lock_guard lock(mu_);
  std::erase_if(subscriptions_, [&](const auto& s) { return ended.contains(s.get()); });
  metrics_.queue_streams.Set(static_cast<double>(subscriptions_.size()));
}

void QueueEvents::CloseAll() {
  std::vector<std::shared_ptr<Subscription>> all;
  {
    std::lock_guard lock(mu_);
    all.swap(subscriptions_);
    metrics_.queue_streams.Set(0);
  }
  for (const auto& s : all) {
    if (auto stream = s->stream.lock()) stream->Close();
  }
}

}  // namespace bo

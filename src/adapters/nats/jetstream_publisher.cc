#include "adapters/nats/jetstream_publisher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "codec/resources.h"
#include "common/assert.h"

namespace bo::nats {

// The cnats objects of one connection, destroyed in reverse order.
struct JetStreamPublisher::Connection {
  natsOptions* options = nullptr;
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  bool stream_ready = false;

  ~Connection() { Reset(); }
  void Reset() {
    if (js != nullptr) jsCtx_Destroy(js);
    if (nc != nullptr) {
      natsConnection_Close(nc);
      natsConnection_Destroy(nc);
    }
    if (options != nullptr) natsOptions_Destroy(options);
    js = nullptr;
    nc = nullptr;
    options = nullptr;
    stream_ready = false;
  }
};

namespace {

std::string Describe(natsStatus s, jsErrCode jerr) {
  std::string text = natsStatus_GetText(s);
  if (const char* last = nats_GetLastError(nullptr); last != nullptr && *last != '\0') {
    text += std::string(": ") + last;
  }
  if (jerr != 0) text += " (JetStream error " + std::to_string(static_cast<int>(jerr)) + ")";
  return text;
}

}  // namespace

JetStreamPublisher::JetStreamPublisher(OutboxSource& source, const Clock& clock,
                                       EventMetrics& metrics, JetStreamPublisherOptions options)
    : source_(source),
      clock_(clock),
      metrics_(metrics),
      options_(std::move(options)),
      window_(options_.window_events_max) {
  BO_ASSERT(!options_.url.empty() && options_.batch_events_max > 0);
  BO_ASSERT(options_.window_events_max > 0 && options_.ack_timeout_ms > 0);
  BO_ASSERT(options_.poll_interval_ms > 0 && options_.retry_interval_ms > 0);
  BO_ASSERT(options_.cursor_save_interval_ms > 0 && options_.connect_timeout_ms > 0);
}

JetStreamPublisher::~JetStreamPublisher() { Stop(); }

void JetStreamPublisher::Start() {
  BO_ASSERT(!thread_.joinable());
  thread_ = std::thread([this] { Run(); });
}

void JetStreamPublisher::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
    if (!window_has_room_) return;  // answers wake the thread; it reads the outbox then
  }
  cv_.notify_all();
}

void JetStreamPublisher::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool JetStreamPublisher::Wait(int ms) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::milliseconds(ms),
               [this] { return stopping_ || !answers_.empty() || (woken_ && window_has_room_); });
  return !stopping_;
}

void JetStreamPublisher::OnAnswer(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error,
                                  void* closure) {
  auto* self = static_cast<JetStreamPublisher*>(closure);
  Answer answer;
  const char* id = nullptr;
  if (natsMsgHeader_Get(msg, kMsgIdHeader, &id) == NATS_OK && id != nullptr) {
    answer.event_id = id;
  }
  answer.acknowledged = ack != nullptr;
  answer.duplicate = ack != nullptr && ack->Duplicate;
  if (ack == nullptr && error != nullptr) {
    answer.error = Describe(error->Err, error->ErrCode);
    if (error->ErrText != nullptr) answer.error += std::string(": ") + error->ErrText;
  }
  natsMsg_Destroy(msg);
  {
    std::lock_guard lock(self->mu_);
    self->answers_.push_back(std::move(answer));
  }
  self->cv_.notify_all();
}

bool JetStreamPublisher::Connect(Connection& c) {
  if (c.nc == nullptr) {
    natsStatus s = natsOptions_Create(&c.options);
    if (s == NATS_OK) s = natsOptions_SetURL(c.options, options_.url.c_str());
    if (s == NATS_OK) s = natsOptions_SetTimeout(c.options, options_.connect_timeout_ms);
    // Once connected, reconnect for ever; a publish meanwhile fails and is retried.
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(c.options, -1);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(c.options, options_.retry_interval_ms);
    if (s == NATS_OK) s = natsConnection_Connect(&c.nc, c.options);
    jsOptions js_options;
    if (s == NATS_OK) s = jsOptions_Init(&js_options);
    if (s == NATS_OK) {
      js_options.PublishAsync.MaxPending = options_.window_events_max;
      js_options.PublishAsync.AckHandler = &JetStreamPublisher::OnAnswer;
      js_options.PublishAsync.AckHandlerClosure = this;
      s = natsConnection_JetStream(&c.js, c.nc, &js_options);
    }
    if (s != NATS_OK) {
      spdlog::warn("nats {}: cannot connect: {}", options_.url, Describe(s, jsErrCode(0)));
      c.Reset();
      return false;
    }
    spdlog::info("nats {}: connected", options_.url);
  }
  if (!c.stream_ready) {
    jsStreamInfo* info = nullptr;
    jsErrCode jerr = jsErrCode(0);
    natsStatus s = js_GetStreamInfo(&info, c.js, kStreamName, nullptr, &jerr);
    if (s == NATS_NOT_FOUND) {
      jsStreamConfig config;
      jsStreamConfig_Init(&config);
      config.Name = kStreamName;
      const char* subjects[] = {kStreamSubjects};
      config.Subjects = subjects;
      config.SubjectsLen = 1;
      config.Storage = js_FileStorage;
      config.Duplicates = static_cast<int64_t>(options_.duplicate_window_seconds) * 1'000'000'000;
      jerr = jsErrCode(0);
      s = js_AddStream(&info, c.js, &config, nullptr, &jerr);
      if (s == NATS_OK) spdlog::info("nats: created stream {} on {}", kStreamName, kStreamSubjects);
    }
    if (info != nullptr) jsStreamInfo_Destroy(info);
    if (s != NATS_OK) {
      spdlog::warn("nats: stream {}: {}", kStreamName, Describe(s, jerr));
      return false;
    }
    c.stream_ready = true;
  }
  return true;
}

void JetStreamPublisher::RecordAnswers() {
  answers_taken_.clear();
  {
    std::lock_guard lock(mu_);
    answers_taken_.swap(answers_);
  }
  const UnixMs now_ms = clock_.NowMs();
  for (const Answer& a : answers_taken_) {
    UnixMs event_time_ms = 0;
    const AckRecord record = window_.Record(a.event_id, a.acknowledged, &event_time_ms);
    if (a.acknowledged) {
      metrics_.nats_published.Increment();
      if (a.duplicate) metrics_.nats_duplicates.Increment();
    }
    if (record == AckRecord::kNewlyAcknowledged) {
      metrics_.nats_publish_lag_ms.Observe(static_cast<double>(now_ms - event_time_ms));
    }
    if (!a.acknowledged && record != AckRecord::kUnknown) {
      spdlog::warn("nats: publishing {}: {}", a.event_id, a.error);
    }
  }
}

bool JetStreamPublisher::Fill(Connection& c, UnixMs now_ms) {
  jsPubOptions publish_options;
  jsPubOptions_Init(&publish_options);
  publish_options.MaxWait = options_.ack_timeout_ms;
  std::string subject;
  while (!window_.full() && !window_.has_failure()) {
    const int room = options_.window_events_max - static_cast<int>(window_.size());
    const int limit = std::min(options_.batch_events_max, room);
    const auto events = source_.Read(generation_, read_seq_, limit);
    for (const auto& e : events) {
      subject.assign(kSubjectPrefix).append(e.event.type);
      const std::string body = ToJson(e.event, &WriteEvent);
      natsMsg* msg = nullptr;
      natsStatus s = natsMsg_Create(&msg, subject.c_str(), nullptr, body.data(),
                                    static_cast<int>(body.size()));
      if (s == NATS_OK) s = natsMsgHeader_Set(msg, kMsgIdHeader, e.event.id.c_str());
      if (s == NATS_OK) s = js_PublishMsgAsync(c.js, &msg, &publish_options);
      natsMsg_Destroy(msg);  // nothing if the library took it
      if (s != NATS_OK) {
        spdlog::warn("nats: publishing {} (seq {}): {}", e.event.id, e.seq,
                     Describe(s, jsErrCode(0)));
        return false;
      }
      window_.Add(WindowEvent{e.seq, e.event.id, e.event.time_ms, now_ms, AckState::kPending});
      read_seq_ = e.seq;
    }
    if (static_cast<int>(events.size()) < limit) break;  // the outbox is drained
  }
  return true;
}

void JetStreamPublisher::Restart(Connection& c) {
  natsMsgList in_flight{};
  if (!window_.empty() && js_PublishAsyncGetPendingList(&in_flight, c.js) == NATS_OK) {
    natsMsgList_Destroy(&in_flight);
  }
  // Answers already taken from the library stay valid: an acknowledged event is stored.
  RecordAnswers();
  if (const auto seq = window_.TakeAcknowledgedPrefix()) acked_seq_ = *seq;
  spdlog::warn("nats: resuming from seq {} ({} events were in flight)", acked_seq_ + 1,
               window_.size());
  window_.Clear();
  read_seq_ = acked_seq_;
  std::lock_guard lock(mu_);
  window_has_room_ = false;  // until the next fill: a wake-up does not cut the retry wait short
}

void JetStreamPublisher::StartOver(Connection& c) {
  // cnats makes its list of pending publishes at the first one: ask only if one was made.
  if (c.js != nullptr && !window_.empty()) {
    natsMsgList in_flight{};
    if (js_PublishAsyncGetPendingList(&in_flight, c.js) == NATS_OK) {
      natsMsgList_Destroy(&in_flight);
    }
  }
  window_.Clear();  // answers still to come are for events the new generation hands out again
  generation_ = source_.Generation();
  acked_seq_ = saved_seq_ = read_seq_ = source_.LoadPosition();
}

void JetStreamPublisher::SaveCursor(UnixMs now_ms) {
  if (acked_seq_ <= saved_seq_) return;
  source_.SavePosition(generation_, acked_seq_);
  saved_seq_ = acked_seq_;
  saved_at_ms_ = now_ms;
}

int JetStreamPublisher::Turn(Connection& c) {
  if (source_.Generation() != generation_) StartOver(c);
  RecordAnswers();
  if (const auto seq = window_.TakeAcknowledgedPrefix()) acked_seq_ = *seq;
  UnixMs now_ms = clock_.NowMs();
  if (window_.empty() || now_ms >= saved_at_ms_ + options_.cursor_save_interval_ms) {
    SaveCursor(now_ms);
  }
  if (window_.MustRestart(now_ms, options_.ack_timeout_ms)) {
    Restart(c);
    SaveCursor(now_ms);
    return options_.retry_interval_ms;
  }
  {
    std::lock_guard lock(mu_);
    woken_ = false;  // the outbox is read below
  }
  const bool sent = Fill(c, now_ms);
  const bool room = !window_.full() && !window_.has_failure();
  {
    std::lock_guard lock(mu_);
    window_has_room_ = room;
  }
  if (!sent) {
    Restart(c);
    return options_.retry_interval_ms;
  }
  now_ms = clock_.NowMs();
  UnixMs until_ms = now_ms + options_.poll_interval_ms;
  if (const auto deadline = window_.AckDeadlineMs(options_.ack_timeout_ms)) {
    until_ms = std::min(until_ms, *deadline);
  }
  if (acked_seq_ > saved_seq_) {
    until_ms = std::min(until_ms, saved_at_ms_ + options_.cursor_save_interval_ms);
  }
  return static_cast<int>(std::max<UnixMs>(until_ms - now_ms, 0));
}

void JetStreamPublisher::Run() {
  Connection c;
  bool cursor_loaded = false;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    int wait_ms = 0;
    try {
      if (!cursor_loaded) {
        StartOver(c);
        cursor_loaded = true;
      }
      if (!Connect(c)) {
        wait_ms = options_.retry_interval_ms;
      } else {
        wait_ms = Turn(c);
      }
    } catch (const std::exception& e) {
      spdlog::warn("nats: {}", e.what());
      if (c.js != nullptr) Restart(c);
      wait_ms = options_.retry_interval_ms;
    }
    if (wait_ms > 0 && !Wait(wait_ms)) break;
  }
  try {
    if (cursor_loaded) SaveCursor(clock_.NowMs());
  } catch (const std::exception& e) {
    spdlog::warn("nats: saving the cursor: {}", e.what());
  }
}

}  // namespace bo::nats

#include "adapters/nats/jetstream_publisher.h"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

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

JetStreamPublisher::JetStreamPublisher(EventDelivery& delivery, const Clock& clock,
                                       EventMetrics& metrics, JetStreamPublisherOptions options)
    : delivery_(delivery), clock_(clock), metrics_(metrics), options_(std::move(options)) {
  BO_ASSERT(!options_.url.empty() && options_.batch_events_max > 0);
  BO_ASSERT(options_.poll_interval_ms > 0 && options_.retry_interval_ms > 0);
}

JetStreamPublisher::~JetStreamPublisher() { Stop(); }

void JetStreamPublisher::Start() {
  BO_ASSERT(!thread_.joinable());
  thread_ = std::thread([this] { Run(); });
}

void JetStreamPublisher::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool JetStreamPublisher::Sleep(int ms) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stopping_; });
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
    if (s == NATS_OK) s = natsConnection_JetStream(&c.js, c.nc, nullptr);
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

int JetStreamPublisher::PublishBatch(Connection& c) {
  const auto events = delivery_.ReadOutbox(cursor_, options_.batch_events_max);
  std::int64_t acked_seq = cursor_;
  int acked = 0;
  std::string subject;
  jsPubOptions publish_options;
  jsPubOptions_Init(&publish_options);
  publish_options.MaxWait = options_.ack_timeout_ms;
  bool failed = false;
  for (const auto& e : events) {
    subject.assign(kSubjectPrefix).append(e.event.type);
    const std::string body = ToJson(e.event, &WriteEvent);
    natsMsg* msg = nullptr;
    natsStatus s =
        natsMsg_Create(&msg, subject.c_str(), nullptr, body.data(), static_cast<int>(body.size()));
    if (s == NATS_OK) s = natsMsgHeader_Set(msg, "Nats-Msg-Id", e.event.id.c_str());
    jsPubAck* ack = nullptr;
    jsErrCode jerr = jsErrCode(0);
    if (s == NATS_OK) s = js_PublishMsg(&ack, c.js, msg, &publish_options, &jerr);
    if (msg != nullptr) natsMsg_Destroy(msg);
    if (s != NATS_OK) {
      spdlog::warn("nats: publishing {} (seq {}): {}", e.event.id, e.seq, Describe(s, jerr));
      if (s == NATS_NOT_FOUND || jerr != 0) c.stream_ready = false;
      failed = true;
      break;
    }
    if (ack->Duplicate) metrics_.nats_duplicates.Increment();
    jsPubAck_Destroy(ack);
    metrics_.nats_published.Increment();
    metrics_.nats_publish_lag_ms.Observe(static_cast<double>(clock_.NowMs() - e.event.time_ms));
    acked_seq = e.seq;
    ++acked;
  }
  if (acked_seq > cursor_) {
    delivery_.SaveCursor(kConsumerNats, acked_seq);
    cursor_ = acked_seq;
  }
  return failed ? -1 : acked;
}

void JetStreamPublisher::Run() {
  Connection c;
  bool cursor_loaded = false;
  for (;;) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    int wait_ms = 0;
    try {
      if (!cursor_loaded) {
        cursor_ = delivery_.LoadCursor(kConsumerNats);
        cursor_loaded = true;
      }
      if (!Connect(c)) {
        wait_ms = options_.retry_interval_ms;
      } else {
        const int acked = PublishBatch(c);
        if (acked < 0) wait_ms = options_.retry_interval_ms;
        if (acked == 0) wait_ms = options_.poll_interval_ms;
      }
    } catch (const std::exception& e) {
      spdlog::warn("nats: {}", e.what());
      wait_ms = options_.retry_interval_ms;
    }
    if (wait_ms > 0 && !Sleep(wait_ms)) return;
  }
}

}  // namespace bo::nats

#include "loadgen/setup.h"

#include "codec/json_writer.h"
#include "common/assert.h"

namespace bo::loadgen {

namespace asio = boost::asio;

namespace {

Error Unreadable(const std::string& what) {
  return MakeError(ErrorCode::kInternal, what + ": the answer is not what API.md describes");
}

}  // namespace

std::optional<SeatRows> SeatRowsFor(int seats) {
  constexpr int kRowSeatsMax = 1000;  // seatRows.perRow's limit
  constexpr int kWideRowSeats = 100;
  constexpr int kSeatsMax = 100'000;
  if (seats >= 1 && seats <= kRowSeatsMax) return SeatRows{1, seats};
  if (seats > kRowSeatsMax && seats <= kSeatsMax && seats % kWideRowSeats == 0) {
    return SeatRows{seats / kWideRowSeats, kWideRowSeats};
  }
  return std::nullopt;
}

std::string JsonQuoted(std::string_view text) {
  JsonWriter w;
  w.String(text);
  return w.Take();
}

asio::awaitable<Result<std::string>> CreateConcert(ApiClient& api, const std::string& admin_token,
                                                   const std::string& name) {
  JsonWriter w;
  w.BeginObject();
  w.Field("name", name);
  w.Field("artist", "boxoffice bench");
  w.Field("venue", "loopback");
  w.EndObject();
  const std::string body = w.Take();
  HttpCall call;
  call.method = HttpMethod::kPost;
  call.target = "/v1/admin/concerts";
  call.body = body;
  call.bearer_token = admin_token;
  auto answer = co_await api.Call(call, 201);
  if (!answer.ok()) co_return answer.error();
  auto id = api.reader().Id(*answer);
  if (!id) co_return Unreadable("POST /v1/admin/concerts");
  co_return std::move(*id);
}

asio::awaitable<Result<ScheduleView>> CreateSchedule(
    ApiClient& api, const std::string& admin_token, const std::string& concert_id,
    UnixMs starts_at_ms, int seats, const std::vector<NewTicketType>& ticket_types) {
  JsonWriter w;
  w.BeginObject();
  w.Field("startsAt", FormatRfc3339(starts_at_ms));
  if (seats > 0) {
    const auto rows = SeatRowsFor(seats);
    BO_ASSERT(rows.has_value());
    w.Key("seatRows");
    w.BeginObject();
    w.Key("sections");
    w.BeginArray();
    w.String("A");
    w.EndArray();
    w.Field("rows", rows->rows);
    w.Field("perRow", rows->per_row);
    w.Field("grade", "R");
    w.Field("price", kBenchSeatPrice);
    w.EndObject();
  } else {
    w.Key("seats");
    w.BeginArray();
    w.EndArray();
  }
  w.Key("ticketTypes");
  w.BeginArray();
  for (const auto& t : ticket_types) {
    w.BeginObject();
    w.Field("name", t.name);
    w.Field("price", t.price);
    w.Field("capacity", t.capacity);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  const std::string body = w.Take();
  const std::string target = "/v1/admin/concerts/" + concert_id + "/schedules";
  HttpCall call;
  call.method = HttpMethod::kPost;
  call.target = target;
  call.body = body;
  call.bearer_token = admin_token;
  auto answer = co_await api.Call(call, 201);
  if (!answer.ok()) co_return answer.error();
  auto schedule = api.reader().Schedule(*answer);
  if (!schedule) co_return Unreadable("POST " + target);
  co_return std::move(*schedule);
}

asio::awaitable<Status> OpenWaitingRoom(ApiClient& api, const std::string& admin_token,
                                        const std::string& concert_id,
                                        const RoomSettings& settings) {
  JsonWriter w;
  w.BeginObject();
  w.Field("enabled", true);
  w.Field("admitPerSecond", settings.admit_per_second);
  w.Field("maxActive", settings.max_active);
  w.Field("activeTtlSeconds", settings.active_ttl_seconds);
  w.EndObject();
  const std::string body = w.Take();
  const std::string target = "/v1/admin/concerts/" + concert_id + "/waiting-room";
  HttpCall call;
  call.method = HttpMethod::kPut;
  call.target = target;
  call.body = body;
  call.bearer_token = admin_token;
  auto answer = co_await api.Call(call, 200);
  if (!answer.ok()) co_return answer.error();
  co_return Ok();
}

asio::awaitable<Result<QueuePlace>> JoinQueue(ApiClient& api, const std::string& token,
                                              const std::string& concert_id) {
  const std::string body = "{\"concertId\":" + JsonQuoted(concert_id) + "}";
  HttpCall call;
  call.method = HttpMethod::kPost;
  call.target = "/v1/queue/tokens";
  call.body = body;
  call.bearer_token = token;
  auto answer = co_await api.Send(call);
  if (!answer.ok()) co_return answer.error();
  if (answer->status != 200 && answer->status != 201) {
    co_return api.Unexpected(call, *answer, "200 or 201");
  }
  auto place = api.reader().QueueToken(answer->body);
  if (!place) co_return Unreadable("POST /v1/queue/tokens");
  co_return std::move(*place);
}

asio::awaitable<Result<std::optional<QueuePlace>>> ReadQueuePlace(ApiClient& api,
                                                                  const std::string& token,
                                                                  const std::string& queue_token) {
  const std::string target = "/v1/queue/tokens/" + queue_token;
  HttpCall call;
  call.target = target;
  call.bearer_token = token;
  auto answer = co_await api.Send(call);
  if (!answer.ok()) co_return answer.error();
  if (answer->status == 404) co_return std::optional<QueuePlace>();
  if (answer->status != 200) co_return api.Unexpected(call, *answer, "200 or 404");
  auto place = api.reader().QueueToken(answer->body);
  if (!place) co_return Unreadable("GET " + target);
  co_return std::optional<QueuePlace>(std::move(*place));
}

asio::awaitable<Result<ScheduleView>> ReadSchedule(ApiClient& api, const std::string& schedule_id) {
  const std::string target = "/v1/schedules/" + schedule_id;
  HttpCall call;
  call.target = target;
  auto answer = co_await api.Call(call, 200);
  if (!answer.ok()) co_return answer.error();
  auto schedule = api.reader().Schedule(*answer);
  if (!schedule) co_return Unreadable("GET " + target);
  co_return std::move(*schedule);
}

asio::awaitable<Result<std::vector<SeatState>>> ReadSeatMap(ApiClient& api,
                                                            const std::string& schedule_id) {
  const std::string target = "/v1/schedules/" + schedule_id + "/seats";
  HttpCall call;
  call.target = target;
  auto answer = co_await api.Call(call, 200);
  if (!answer.ok()) co_return answer.error();
  auto seats = api.reader().SeatMap(*answer);
  if (!seats) co_return Unreadable("GET " + target);
  co_return std::move(*seats);
}

asio::awaitable<Result<std::vector<TicketView>>> ReadTickets(ApiClient& api,
                                                             const std::string& token) {
  std::vector<TicketView> tickets;
  std::string cursor;
  for (int page = 0; page < kTicketPagesMax; ++page) {
    std::string target = "/v1/tickets?limit=100";
    if (!cursor.empty()) target += "&cursor=" + cursor;
    HttpCall call;
    call.target = target;
    call.bearer_token = token;
    auto answer = co_await api.Call(call, 200);
    if (!answer.ok()) co_return answer.error();
    auto items = api.reader().Tickets(*answer);
    if (!items) co_return Unreadable("GET " + target);
    for (auto& t : items->items) tickets.push_back(std::move(t));
    if (items->next_cursor.empty()) co_return tickets;
    cursor = std::move(items->next_cursor);
  }
  co_return MakeError(ErrorCode::kInternal,
                      "GET /v1/tickets: more than " + std::to_string(kTicketPagesMax) + " pages");
}

}  // namespace bo::loadgen

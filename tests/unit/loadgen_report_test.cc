// Reading the server's answers, and the shape of the report the command prints.
#include "loadgen/report.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "loadgen/answers.h"

namespace bo::loadgen {
namespace {

TEST(loadgen_AnswerReader, ReadsAReservation) {
  AnswerReader reader;
  const auto hold = reader.Reservation(
      R"({"id":"res_1","userId":"u","scheduleId":"sch","concertId":"con","seatIds":["s1","s2"],)"
      R"("ticketTypeId":null,"quantity":2,"amount":100000,"status":"HELD",)"
      R"("expiresAt":"2030-01-01T00:05:00Z","createdAt":"2030-01-01T00:00:00.250Z"})");
  ASSERT_TRUE(hold.has_value());
  EXPECT_EQ(hold->reservation_id, "res_1");
  EXPECT_EQ(hold->seat_ids, (std::vector<std::string>{"s1", "s2"}));
  EXPECT_EQ(hold->ticket_type_id, "");
  EXPECT_EQ(hold->quantity, 2);
  EXPECT_EQ(hold->amount, 100000);
  EXPECT_EQ(hold->expires_at_ms - hold->created_at_ms, 300'000 - 250);
  EXPECT_FALSE(reader.Reservation(R"({"id":"res_1"})").has_value());
  EXPECT_FALSE(reader.Reservation("not json").has_value());
}

TEST(loadgen_AnswerReader, ReadsSeatMapsTicketPagesAndPayments) {
  AnswerReader reader;
  const auto seats =
      reader.SeatMap(R"({"items":[{"id":"a","status":"AVAILABLE"},{"id":"b","status":"SOLD"}]})");
  ASSERT_TRUE(seats.has_value());
  ASSERT_EQ(seats->size(), 2u);
  EXPECT_EQ((*seats)[1].status, SeatStatus::kSold);
  EXPECT_FALSE(reader.SeatMap(R"({"items":[{"id":"a","status":"GONE"}]})").has_value());

  const auto page = reader.Tickets(
      R"({"items":[{"id":"t","reservationId":"r","seatId":null,"ticketTypeId":"tt","code":"c"}],)"
      R"("nextCursor":null})");
  ASSERT_TRUE(page.has_value());
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].ticket_type_id, "tt");
  EXPECT_EQ(page->items[0].seat_id, "");
  EXPECT_EQ(page->next_cursor, "");

  const auto payment = reader.Payment(R"({"id":"p","reservationId":"r","tickets":[{},{}]})");
  ASSERT_TRUE(payment.has_value());
  EXPECT_EQ(payment->tickets, 2);
}

TEST(loadgen_AnswerReader, DescribesProblems) {
  AnswerReader reader;
  EXPECT_EQ(
      reader.DescribeProblem(401, R"({"type":"about:blank","title":"Unauthenticated","status":401,)"
                                  R"("code":"UNAUTHENTICATED","detail":"bad signature"})"),
      "401 UNAUTHENTICATED: bad signature");
  EXPECT_EQ(reader.DescribeProblem(502, "Bad Gateway"), "502: Bad Gateway");
}

RunSummary Summary() {
  RunSummary s;
  s.scenario = "flash-sale";
  s.target = "http://127.0.0.1:1";
  s.run_id = "abcd";
  s.connections = 2;
  s.threads = 1;
  s.requested_duration_seconds = 1;
  s.load.elapsed_seconds = 2;
  s.load.scheduled = 4;
  s.load.totals.RecordAnswer(1000, 201);
  s.load.totals.RecordAnswer(2000, 409);
  s.load.totals.RecordAnswer(3000, 409);
  s.load.totals.RecordError();
  s.load.totals.AddHttpRequests(4);
  s.setup = {Fact::Text("scheduleId", "sch_1"), Fact::Number("seats", 10)};
  InvariantReport report;
  report.checks.push_back(Check{"no seat in two live holds", true, "3 seats held"});
  s.invariants = report;
  return s;
}

TEST(loadgen_Report, JsonHasEveryFieldAndStatusesSumToRequests) {
  const std::string json = FormatJson(Summary());
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  ASSERT_EQ(parser.parse(json).get(o), simdjson::SUCCESS) << json;
  EXPECT_EQ(std::string_view(o["scenario"]), "flash-sale");
  EXPECT_EQ(std::string_view(o["mode"]), "closed");
  EXPECT_TRUE(o["ratePerSecond"].is_null());
  EXPECT_EQ(int64_t(o["requests"]), 3);
  EXPECT_EQ(int64_t(o["errors"]), 1);
  EXPECT_EQ(int64_t(o["httpRequests"]), 4);
  EXPECT_DOUBLE_EQ(double(o["durationSeconds"]), 2.0);
  EXPECT_DOUBLE_EQ(double(o["throughputPerSecond"]), 1.5);
  simdjson::dom::object latency = o["latencyMs"];
  for (const char* k : {"p50", "p90", "p99", "p999", "max", "mean"}) {
    EXPECT_EQ(latency[k].error(), simdjson::SUCCESS) << k;
  }
  EXPECT_DOUBLE_EQ(double(latency["max"]), 3.0);
  std::int64_t sum = 0;
  for (auto [status, count] : simdjson::dom::object(o["statuses"])) sum += int64_t(count);
  EXPECT_EQ(sum, 3);
  EXPECT_EQ(int64_t(o["statuses"]["409"]), 2);
  EXPECT_TRUE(bool(o["invariantsOk"]));
  EXPECT_EQ(std::string_view(o["setup"]["scheduleId"]), "sch_1");
  EXPECT_EQ(int64_t(o["setup"]["seats"]), 10);
  EXPECT_EQ(simdjson::dom::array(o["invariants"]).size(), 1u);
}

TEST(loadgen_Report, OpenLoopAndNoChecks) {
  RunSummary s = Summary();
  s.rate_per_second = 250;
  s.invariants.reset();
  const std::string json = FormatJson(s);
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  ASSERT_EQ(parser.parse(json).get(o), simdjson::SUCCESS) << json;
  EXPECT_EQ(std::string_view(o["mode"]), "open");
  EXPECT_DOUBLE_EQ(double(o["ratePerSecond"]), 250.0);
  EXPECT_TRUE(o["invariantsOk"].is_null());
  const std::string table = FormatTable(s);
  EXPECT_NE(table.find("open loop at 250.0/s"), std::string::npos) << table;
  EXPECT_NE(table.find("409: 2"), std::string::npos) << table;
}

TEST(loadgen_Report, TableNamesAFailedCheck) {
  RunSummary s = Summary();
  s.invariants->checks.push_back(Check{"every taken seat was granted", false, "seat s9 is SOLD"});
  const std::string table = FormatTable(s);
  EXPECT_NE(table.find("VIOLATED"), std::string::npos) << table;
  EXPECT_NE(table.find("FAIL  every taken seat was granted: seat s9 is SOLD"), std::string::npos);
}

}  // namespace
}  // namespace bo::loadgen

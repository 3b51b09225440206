#include "http/decode.h"

#include <gtest/gtest.h>

namespace bo {
namespace {

// REQUIRES: the result failed.
template <class T>
std::string DetailOf(const Result<T>& r) {
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidRequest);
  return r.error().detail;
}

TEST(DecodeSignUp, LowerCasesEmailAndChecksEveryField) {
  auto ok = DecodeSignUp(R"({"email":"Ann@Example.COM","password":"password1","name":"Ann"})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->email, "ann@example.com");
  EXPECT_NE(
      DetailOf(DecodeSignUp(R"({"email":"nope","password":"password1","name":"A"})")).find("email"),
      std::string::npos);
  EXPECT_NE(DetailOf(DecodeSignUp(R"({"email":"a@b.co","password":"short","name":"A"})"))
                .find("password"),
            std::string::npos);
  EXPECT_NE(DetailOf(DecodeSignUp(R"({"email":"a@b.co","password":"password1"})")).find("name"),
            std::string::npos);
  EXPECT_NE(
      DetailOf(DecodeSignUp(R"({"email":"a@b.co","password":"password1","name":7})")).find("name"),
      std::string::npos);
}

TEST(DecodeBody, RejectsNonObjectsAndBrokenJson) {
  EXPECT_NE(DetailOf(DecodeCharge("")).find("body"), std::string::npos);
  EXPECT_NE(DetailOf(DecodeCharge("[1]")).find("object"), std::string::npos);
  EXPECT_NE(DetailOf(DecodeCharge("{\"amount\":")).find("JSON"), std::string::npos);
  EXPECT_NE(DetailOf(DecodeCharge("{\"amount\":5} trailing")).find("JSON"), std::string::npos);
}

TEST(DecodeCharge, AcceptsOnlyIntegersInRange) {
  EXPECT_EQ(DecodeCharge(R"({"amount":1})").value(), 1);
  EXPECT_EQ(DecodeCharge(R"({"amount":10000000})").value(), 10'000'000);
  for (const char* bad :
       {R"({"amount":0})", R"({"amount":-1})", R"({"amount":10000001})", R"({"amount":1e20})",
        R"({"amount":"100"})", R"({"amount":1.5})", R"({"amount":null})", R"({})"}) {
    EXPECT_NE(DetailOf(DecodeCharge(bad)).find("amount"), std::string::npos) << bad;
  }
}

TEST(DecodeCharge, NumbersBeyond64BitsAreInvalidBodies) {
  EXPECT_NE(DetailOf(DecodeCharge(R"({"amount":99999999999999999999})")).find("64 bits"),
            std::string::npos);
}

TEST(DecodeReserve, SeatsOrTicketTypeButNotBoth) {
  auto seats = DecodeReserve(R"({"scheduleId":"s","seatIds":["a","b"]})");
  ASSERT_TRUE(seats.ok());
  EXPECT_EQ(std::get<ReserveSeatsCommand>(*seats).seat_ids.size(), 2u);
  auto units = DecodeReserve(R"({"scheduleId":"s","ticketTypeId":"t","quantity":3})");
  ASSERT_TRUE(units.ok());
  EXPECT_EQ(std::get<ReserveTicketsCommand>(*units).quantity, 3);
  EXPECT_FALSE(
      DecodeReserve(R"({"scheduleId":"s","seatIds":["a"],"ticketTypeId":"t","quantity":1})").ok());
  EXPECT_FALSE(DecodeReserve(R"({"scheduleId":"s"})").ok());
}

TEST(DecodeReserve, EnforcesSeatAndQuantityLimits) {
  EXPECT_NE(DetailOf(DecodeReserve(R"({"scheduleId":"s","seatIds":[]})")).find("seatIds"),
            std::string::npos);
  EXPECT_NE(
      DetailOf(
          DecodeReserve(
              R"({"scheduleId":"s","seatIds":["1","2","3","4","5","6","7","8","9","10","11"]})"))
          .find("seatIds"),
      std::string::npos);
  EXPECT_NE(DetailOf(DecodeReserve(R"({"scheduleId":"s","seatIds":["a","a"]})")).find("twice"),
            std::string::npos);
  EXPECT_NE(DetailOf(DecodeReserve(R"({"scheduleId":"s","seatIds":["a",1]})")).find("seatIds[1]"),
            std::string::npos);
  EXPECT_NE(DetailOf(DecodeReserve(R"({"scheduleId":"s","ticketTypeId":"t","quantity":0})"))
                .find("quantity"),
            std::string::npos);
  EXPECT_NE(DetailOf(DecodeReserve(R"({"scheduleId":"s","ticketTypeId":"t","quantity":11})"))
                .find("quantity"),
            std::string::npos);
}

TEST(DecodeCreateSchedule, ExpandsSeatRowsAndRejectsDuplicates) {
  auto cmd = DecodeCreateSchedule(
      R"({"startsAt":"2026-12-24T19:00:00Z","seatRows":{"sections":["A","B"],"rows":3,"perRow":4,"grade":"R","price":50000},
          "ticketTypes":[{"name":"GA","price":1000,"capacity":50}]})",
      "con_1");
  ASSERT_TRUE(cmd.ok()) << cmd.error().detail;
  EXPECT_EQ(cmd->seats.size(), 24u);
  EXPECT_EQ(cmd->ticket_types.size(), 1u);
  EXPECT_EQ(cmd->concert_id, "con_1");
  EXPECT_EQ(cmd->starts_at_ms, ParseRfc3339("2026-12-24T19:00:00Z"));
  EXPECT_NE(DetailOf(DecodeCreateSchedule(
                         R"({"startsAt":"2026-12-24T19:00:00Z","seats":[
            {"section":"A","row":1,"number":1,"grade":"R","price":1},
            {"section":"A","row":"1","number":1,"grade":"R","price":1}]})",
                         "c"))
                .find("twice"),
            std::string::npos);
  EXPECT_NE(DetailOf(DecodeCreateSchedule(R"({"startsAt":"tomorrow"})", "c")).find("startsAt"),
            std::string::npos);
  EXPECT_NE(
      DetailOf(
          DecodeCreateSchedule(
              R"({"startsAt":"2026-12-24T19:00:00Z","seatRows":{"sections":["A"],"rows":1000,"perRow":1000,"grade":"R","price":1}})",
              "c"))
          .find("seatRows"),
      std::string::npos);
  EXPECT_NE(
      DetailOf(
          DecodeCreateSchedule(
              R"({"startsAt":"2026-12-24T19:00:00Z","seats":[{"section":"A","row":1,"number":1,"grade":"R","price":-5}]})",
              "c"))
          .find("seats[0].price"),
      std::string::npos);
}

TEST(DecodeListQuery, LimitsAndCursors) {
  auto q = DecodeListQuery("");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->limit, kListLimitDefault);
  EXPECT_EQ(DecodeListQuery("limit=100")->limit, 100);
  for (const char* bad :
       {"limit=0", "limit=101", "limit=abc", "limit=", "limit=-1", "cursor=%%%"}) {
    EXPECT_FALSE(DecodeListQuery(bad).ok()) << bad;
  }
  auto c = DecodeListQuery("limit=5&cursor=" + EncodeCursor("con_0001"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->cursor_id, "con_0001");
}

TEST(DecodeRangeQuery, ParsesBoundsAndOrdersThem) {
  auto r = DecodeRangeQuery("from=2026-12-01T00:00:00Z&to=2027-01-01T00:00:00%2B09:00");
  ASSERT_TRUE(r.ok()) << r.error().detail;
  EXPECT_EQ(r->from_ms, ParseRfc3339("2026-12-01T00:00:00Z"));
  EXPECT_EQ(r->to_ms, ParseRfc3339("2027-01-01T00:00:00+09:00"));
  EXPECT_FALSE(DecodeRangeQuery("from=2027-01-01T00:00:00Z&to=2026-01-01T00:00:00Z").ok());
  EXPECT_FALSE(DecodeRangeQuery("from=yesterday").ok());
}

TEST(QueryParam, PercentDecodesAndRejectsTruncatedEscapes) {
  EXPECT_EQ(QueryParam("a=1&b=x%20y", "b").value(), "x y");
  EXPECT_EQ(QueryParam("a=1", "b").value(), std::nullopt);
  EXPECT_NE(DetailOf(QueryParam("b=%2", "b")).find("b:"), std::string::npos);
  EXPECT_NE(DetailOf(QueryParam("b=%zz", "b")).find("b:"), std::string::npos);
}

TEST(DecodePay, OnlyPointsForNow) {
  EXPECT_TRUE(DecodePay(R"({"reservationId":"r","method":"POINTS"})").ok());
  EXPECT_NE(DetailOf(DecodePay(R"({"reservationId":"r","method":"CARD"})")).find("method"),
            std::string::npos);
}

}  // namespace
}  // namespace bo

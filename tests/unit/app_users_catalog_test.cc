// Sign-up and the catalog use cases over the in-memory store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "app/catalog.h"
#include "app/submit.h"
#include "app/users.h"
#include "fakes/memory_store.h"
#include "fakes/use_case_test.h"

namespace bo {
namespace {

using bo::testing::UseCaseTest;
using ::testing::IsEmpty;

constexpr UnixMs kDayMs = 86'400'000;

class UsersCatalogTest : public UseCaseTest {
 protected:
  Result<User> SignUpAs(const std::string& email, const std::string& name) {
    SignUpCommand cmd{email, name, "$argon2id$stub"};
    return Run<User>([&](WriteTx& tx) { return SignUp(tx, svc_, cmd); });
  }
  Concert NewConcert(const std::string& name) {
    auto c = Run<Concert>([&](WriteTx& tx) {
      return CreateConcert(tx, svc_, {name, "Orchestra", "Hall"});
    });
    EXPECT_TRUE(c.ok());
    return c.ok() ? *c : Concert{};
  }
  Result<Schedule> NewSchedule(const std::string& concert_id, UnixMs starts_at_ms) {
    CreateScheduleCommand cmd;
    cmd.concert_id = concert_id;
    cmd.starts_at_ms = starts_at_ms;
    cmd.seats = {
        {"B", "2", 1, "S", 20'000}, {"A", "1", 2, "R", 10'000}, {"A", "1", 1, "R", 10'000}};
    cmd.ticket_types = {{"Standing", 5'000, 100}, {"Balcony", 8'000, 20}};
    return Run<Schedule>([&](WriteTx& tx) { return CreateSchedule(tx, svc_, cmd); });
  }
};

TEST_F(UsersCatalogTest, SignUpCreatesABasicUser) {
  auto user = SignUpAs("alice@example.com", "Alice");
  ASSERT_TRUE(user.ok()) << user.error().detail;
  EXPECT_EQ(user->grade, Grade::kBasic);
  EXPECT_EQ(user->role, Role::kUser);
  EXPECT_EQ(user->created_at_ms, kStart);

  auto by_email = store_.Read()->FindUserByEmail("alice@example.com");
  ASSERT_TRUE(by_email.has_value());
  EXPECT_EQ(by_email->id, user->id);
  EXPECT_EQ(by_email->password_hash, "$argon2id$stub");
  EXPECT_EQ(store_.Read()->FindUserById(user->id).value().email, "alice@example.com");
}

TEST_F(UsersCatalogTest, SignUpWithATakenEmailIsRefused) {
  auto first = SignUpAs("alice@example.com", "Alice");
  ASSERT_TRUE(first.ok());
  auto second = SignUpAs("alice@example.com", "Mallory");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kEmailTaken);

  EXPECT_EQ(store_.Dump().users.size(), 1u);
  EXPECT_EQ(store_.Read()->FindUserByEmail("alice@example.com").value().name, "Alice");
  EXPECT_TRUE(SignUpAs("bob@example.com", "Bob").ok());
}

TEST_F(UsersCatalogTest, ConcertsAreListedInIdOrderByPages) {
  std::vector<std::string> made;
  for (const char* name : {"One", "Two", "Three"}) made.push_back(NewConcert(name).id);

  auto first = store_.Read()->ListConcerts("", 2);
  ASSERT_EQ(first.items.size(), 2u);
  EXPECT_EQ(first.items[0].id, made[0]);
  EXPECT_EQ(first.items[0].name, "One");
  EXPECT_EQ(first.items[1].id, made[1]);
  EXPECT_EQ(first.next_cursor, made[1]);

  auto second = store_.Read()->ListConcerts(first.next_cursor, 2);
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_EQ(second.items[0].id, made[2]);
  EXPECT_EQ(second.next_cursor, "");

  // A page that ends exactly at the last concert has no cursor either.
  EXPECT_EQ(store_.Read()->ListConcerts("", 3).next_cursor, "");
}

TEST_F(UsersCatalogTest, ScheduleStartsWithEverySeatAndUnitAvailable) {
  const Concert concert = NewConcert("Winter Gala");
  auto s = NewSchedule(concert.id, kStart + kDayMs);
  ASSERT_TRUE(s.ok()) << s.error().detail;
  EXPECT_EQ(s->seats_total, 3);
  EXPECT_EQ(s->seats_available, 3);

  auto stored = store_.Read()->FindSchedule(s->id);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->concert_id, concert.id);
  EXPECT_EQ(stored->seats_available, 3);
  ASSERT_EQ(stored->ticket_types.size(), 2u);
  for (const auto& t : stored->ticket_types) {
    EXPECT_EQ(t.schedule_id, s->id);
    EXPECT_EQ(t.taken, 0);
  }
  EXPECT_EQ(stored->ticket_types[0].name, "Standing");
  EXPECT_EQ(stored->ticket_types[0].available(), 100);

  // Seats come back in seat order (section, row, number), all available.
  const auto seats = store_.Read()->ListSeats(s->id);
  ASSERT_EQ(seats.size(), 3u);
  EXPECT_EQ(seats[0].section + seats[0].row + std::to_string(seats[0].number), "A11");
  EXPECT_EQ(seats[1].section + seats[1].row + std::to_string(seats[1].number), "A12");
  EXPECT_EQ(seats[2].section + seats[2].row + std::to_string(seats[2].number), "B21");
  for (const auto& seat : seats) {
    EXPECT_EQ(seat.status, SeatStatus::kAvailable);
    EXPECT_EQ(seat.schedule_id, s->id);
  }
  EXPECT_EQ(seats[2].price, 20'000);
}

TEST_F(UsersCatalogTest, SchedulesAreListedByStartWithinTheWindow) {
  const Concert concert = NewConcert("Winter Gala");
  const Concert other = NewConcert("Spring Gala");
  auto late = NewSchedule(concert.id, kStart + 3 * kDayMs);
  auto early = NewSchedule(concert.id, kStart + kDayMs);
  auto elsewhere = NewSchedule(other.id, kStart + kDayMs);
  ASSERT_TRUE(late.ok() && early.ok() && elsewhere.ok());

  auto all = store_.Read()->ListSchedules(concert.id, 0, kStart + 10 * kDayMs, 10);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, early->id);
  EXPECT_EQ(all[1].id, late->id);
  EXPECT_EQ(all[0].ticket_types.size(), 2u);

  // from <= startsAt < to
  auto window = store_.Read()->ListSchedules(concert.id, kStart + kDayMs, kStart + 3 * kDayMs, 10);
  ASSERT_EQ(window.size(), 1u);
  EXPECT_EQ(window[0].id, early->id);
}

TEST_F(UsersCatalogTest, ScheduleOfAnUnknownConcertIsNotFound) {
  auto s = NewSchedule("con_nope", kStart + kDayMs);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
  const auto state = store_.Dump();
  EXPECT_THAT(state.schedules, IsEmpty());
  EXPECT_THAT(state.seats, IsEmpty());
  EXPECT_THAT(state.ticket_types, IsEmpty());
}

}  // namespace
}  // namespace bo

#include "loadgen/invariants.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace bo::loadgen {
namespace {

// Collects the failures of one check: a count and the first few, for the report.
class Failures {
 public:
  static constexpr size_t kExamplesMax = 5;

  void Add(std::string what) {
    if (examples_.size() < kExamplesMax) examples_.push_back(std::move(what));
    ++count_;
  }

  Check Finish(std::string name, std::string detail_if_ok) const {
    Check c;
    c.name = std::move(name);
    c.ok = count_ == 0;
    if (c.ok) {
      c.detail = std::move(detail_if_ok);
      return c;
    }
    c.detail = std::to_string(count_) + (count_ == 1 ? " failure: " : " failures: ");
    for (size_t i = 0; i < examples_.size(); ++i) {
      if (i > 0) c.detail += "; ";
      c.detail += examples_[i];
    }
    if (count_ > static_cast<std::int64_t>(examples_.size())) c.detail += "; …";
    return c;
  }

 private:
  std::vector<std::string> examples_;
  std::int64_t count_ = 0;
};

bool MayHaveExpired(const GrantedHold& h, UnixMs checked_at_ms) {
  return h.expires_at_ms - kExpiryMarginMs <= checked_at_ms;
}

std::unordered_map<std::string_view, SeatStatus> StatusBySeat(const std::vector<SeatState>& map) {
  std::unordered_map<std::string_view, SeatStatus> out;
  out.reserve(map.size());
  for (const auto& s : map) out.emplace(s.id, s.status);
  return out;
}

std::string StatusText(SeatStatus s) { return std::string(SeatStatusName(s)); }

}  // namespace

bool InvariantReport::ok() const {
  return std::all_of(checks.begin(), checks.end(), [](const Check& c) { return c.ok; });
}

InvariantReport CheckSeatSale(const SeatSaleObservation& o) {
  InvariantReport report;
  const auto status_of = StatusBySeat(o.seat_map);

  Failures readable;
  if (o.unreadable_answers > 0) {
    readable.Add(std::to_string(o.unreadable_answers) + " answers could not be read");
  }
  std::int64_t seats_held = 0;
  for (const auto& h : o.holds) {
    if (h.seat_ids.empty()) readable.Add("reservation " + h.reservation_id + " names no seat");
    std::unordered_set<std::string_view> own;
    for (const auto& seat : h.seat_ids) {
      ++seats_held;
      if (!own.insert(seat).second) {
        readable.Add("reservation " + h.reservation_id + " names seat " + seat + " twice");
      }
      if (!status_of.contains(seat)) {
        readable.Add("reservation " + h.reservation_id + " holds " + seat +
                     ", not a seat of the schedule");
      }
    }
  }
  report.checks.push_back(readable.Finish(
      "201 answers name seats of the schedule",
      std::to_string(o.holds.size()) + " holds of " + std::to_string(seats_held) + " seats"));

  // Per seat, its holds in the order the server made them; each must start after every
  // earlier one has expired.
  std::unordered_map<std::string_view, std::vector<const GrantedHold*>> holds_by_seat;
  for (const auto& h : o.holds) {
    for (const auto& seat : h.seat_ids) holds_by_seat[seat].push_back(&h);
  }
  Failures twice;
  for (auto& [seat, holds] : holds_by_seat) {
    if (holds.size() < 2) continue;
    std::sort(holds.begin(), holds.end(), [](const GrantedHold* a, const GrantedHold* b) {
      return a->created_at_ms < b->created_at_ms;
    });
    const GrantedHold* latest_end = holds[0];
    for (size_t i = 1; i < holds.size(); ++i) {
      if (holds[i]->created_at_ms < latest_end->expires_at_ms) {
        twice.Add("seat " + std::string(seat) + " in reservations " + latest_end->reservation_id +
                  " and " + holds[i]->reservation_id);
      }
      if (holds[i]->expires_at_ms > latest_end->expires_at_ms) latest_end = holds[i];
    }
  }
  report.checks.push_back(twice.Finish("no seat in two live holds",
                                       std::to_string(holds_by_seat.size()) + " seats held"));

  Failures taken;
  std::int64_t checked = 0;
  for (const auto& h : o.holds) {
    if (MayHaveExpired(h, o.checked_at_ms)) continue;
    for (const auto& seat : h.seat_ids) {
      auto it = status_of.find(seat);
      if (it == status_of.end()) continue;  // reported above
      ++checked;
      if (it->second == SeatStatus::kAvailable) {
        taken.Add("seat " + seat + " of reservation " + h.reservation_id + " is AVAILABLE");
      }
    }
  }
  report.checks.push_back(taken.Finish("held seats are HELD or SOLD in the seat map",
                                       std::to_string(checked) + " seats checked"));

  std::unordered_set<std::string_view> known(o.unanswered_seat_ids.begin(),
                                             o.unanswered_seat_ids.end());
  for (const auto& [seat, holds] : holds_by_seat) known.insert(seat);
  Failures accounted;
  std::int64_t taken_seats = 0;
  for (const auto& s : o.seat_map) {
    if (s.status == SeatStatus::kAvailable) continue;
    ++taken_seats;
    if (!known.contains(s.id)) {
      accounted.Add("seat " + s.id + " is " + StatusText(s.status) + " but no hold was granted");
    }
  }
  report.checks.push_back(accounted.Finish(
      "every taken seat was granted",
      std::to_string(taken_seats) + " of " + std::to_string(o.seat_map.size()) + " seats taken"));
  return report;
}

InvariantReport CheckGaSale(const GaSaleObservation& o) {
  InvariantReport report;

  Failures readable;
  if (o.unreadable_answers > 0) {
    readable.Add(std::to_string(o.unreadable_answers) + " answers could not be read");
  }
  for (const auto& h : o.holds) {
    if (h.quantity < 1) {
      readable.Add("reservation " + h.reservation_id + " has quantity " +
                   std::to_string(h.quantity));
    }
    if (!h.seat_ids.empty()) readable.Add("reservation " + h.reservation_id + " names seats");
  }
  report.checks.push_back(
      readable.Finish("201 answers name a quantity", std::to_string(o.holds.size()) + " holds"));

  // The most units held at once: a hold counts from its creation until it expires.
  std::vector<std::pair<UnixMs, std::int64_t>> events;
  events.reserve(o.holds.size() * 2);
  for (const auto& h : o.holds) {
    events.emplace_back(h.created_at_ms, h.quantity);
    events.emplace_back(h.expires_at_ms, -static_cast<std::int64_t>(h.quantity));
  }
  std::sort(events.begin(), events.end());  // at one instant, releases come first
  std::int64_t live = 0, peak = 0;
  for (const auto& [at, delta] : events) {
    live += delta;
    peak = std::max(peak, live);
  }
  Failures capacity;
  if (peak > o.capacity) {
    capacity.Add(std::to_string(peak) + " units held at once, capacity " +
                 std::to_string(o.capacity));
  }
  if (o.available < 0 || o.available > o.capacity) {
    capacity.Add("available " + std::to_string(o.available) + " is outside 0.." +
                 std::to_string(o.capacity));
  }
  report.checks.push_back(capacity.Finish("never beyond capacity",
                                          "at most " + std::to_string(peak) + " of " +
                                              std::to_string(o.capacity) + " units held at once"));

  std::int64_t unexpired = 0, all = 0;
  for (const auto& h : o.holds) {
    all += h.quantity;
    if (!MayHaveExpired(h, o.checked_at_ms)) unexpired += h.quantity;
  }
  const std::int64_t taken = static_cast<std::int64_t>(o.capacity) - o.available;
  Failures accounted;
  std::string counts =
      "capacity - available = " + std::to_string(taken) + ", units granted " + std::to_string(all);
  if (o.unanswered_quantity > 0) {
    counts += ", units asked without an answer " + std::to_string(o.unanswered_quantity);
  }
  if (taken < unexpired || taken > all + o.unanswered_quantity) accounted.Add(counts);
  report.checks.push_back(accounted.Finish("capacity - available equals the units held", counts));
  return report;
}

InvariantReport CheckPaySale(const PaySaleObservation& o) {
  InvariantReport report = CheckSeatSale(o.seats);
  const auto status_of = StatusBySeat(o.seats.seat_map);

  std::unordered_map<std::string_view, std::vector<const TicketView*>> tickets_by_reservation;
  for (const auto& t : o.tickets) tickets_by_reservation[t.reservation_id].push_back(&t);

  Failures answered;
  if (o.unreadable_payment_answers > 0) {
    answered.Add(std::to_string(o.unreadable_payment_answers) + " answers could not be read");
  }
  std::unordered_map<std::string_view, const PaidReservation*> paid_by_reservation;
  for (const auto& p : o.paid) {
    auto [it, fresh] = paid_by_reservation.emplace(p.hold.reservation_id, &p);
    if (!fresh) {
      answered.Add("reservation " + p.hold.reservation_id +
                   " paid twice: " + it->second->payment_id + " and " + p.payment_id);
    }
    if (p.tickets_in_answer != p.hold.quantity) {
      answered.Add("payment " + p.payment_id + " answered " + std::to_string(p.tickets_in_answer) +
                   " tickets for " + std::to_string(p.hold.quantity) + " seats");
    }
  }
  report.checks.push_back(answered.Finish("each payment answered with its tickets",
                                          std::to_string(o.paid.size()) + " payments"));

  Failures issued;
  std::int64_t tickets_checked = 0;
  for (const auto& p : o.paid) {
    std::vector<std::string_view> want(p.hold.seat_ids.begin(), p.hold.seat_ids.end());
    std::vector<std::string_view> got;
    auto it = tickets_by_reservation.find(p.hold.reservation_id);
    if (it != tickets_by_reservation.end()) {
      for (const TicketView* t : it->second) got.push_back(t->seat_id);
    }
    tickets_checked += static_cast<std::int64_t>(got.size());
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    if (got.size() != static_cast<size_t>(p.hold.quantity) || (!want.empty() && got != want)) {
      issued.Add("reservation " + p.hold.reservation_id + " has " + std::to_string(got.size()) +
                 " tickets for " + std::to_string(p.hold.quantity) + " seats" +
                 (got.size() == want.size() ? " (other seats)" : ""));
    }
  }
  report.checks.push_back(issued.Finish("each paid reservation has one ticket per seat",
                                        std::to_string(tickets_checked) + " tickets"));

  Failures double_ticket;
  std::unordered_map<std::string_view, const TicketView*> ticket_by_seat;
  for (const auto& t : o.tickets) {
    if (t.seat_id.empty()) continue;
    auto [it, fresh] = ticket_by_seat.emplace(t.seat_id, &t);
    if (!fresh) {
      double_ticket.Add("seat " + t.seat_id + " has tickets " + it->second->id + " and " + t.id);
    }
  }
  report.checks.push_back(double_ticket.Finish(
      "no seat has two tickets", std::to_string(ticket_by_seat.size()) + " seats ticketed"));

  Failures sold;
  for (const auto& p : o.paid) {
    for (const auto& seat : p.hold.seat_ids) {
      auto it = status_of.find(seat);
      if (it != status_of.end() && it->second != SeatStatus::kSold) {
        sold.Add("seat " + seat + " of paid reservation " + p.hold.reservation_id + " is " +
                 StatusText(it->second));
      }
    }
  }
  report.checks.push_back(sold.Finish("paid seats are SOLD", "all SOLD"));

  Failures orphan;
  std::unordered_set<std::string_view> maybe_paid(o.unanswered_payment_reservation_ids.begin(),
                                                  o.unanswered_payment_reservation_ids.end());
  for (const auto& t : o.tickets) {
    if (!paid_by_reservation.contains(t.reservation_id) && !maybe_paid.contains(t.reservation_id)) {
      orphan.Add("ticket " + t.id + " of reservation " + t.reservation_id +
                 " has no answered payment");
    }
  }
  report.checks.push_back(orphan.Finish("every ticket belongs to a payment",
                                        std::to_string(o.tickets.size()) + " tickets listed"));
  return report;
}

namespace {

bool Waiting(const QueuePlace& p) { return p.status == "WAITING"; }

std::string Describe(const QueuePlace& p) {
  return p.token + " (" + p.status + " at " + std::to_string(p.position) + ")";
}

}  // namespace

InvariantReport CheckQueueJoins(const QueueJoinObservation& o) {
  InvariantReport report;
  std::int64_t joins = 0;

  Failures readable;
  if (o.unreadable_answers > 0) {
    readable.Add(std::to_string(o.unreadable_answers) + " answers could not be read");
  }
  std::unordered_set<std::string_view> tokens;
  Failures distinct;
  for (const auto& connection : o.joined) {
    for (const auto& p : connection) {
      ++joins;
      const bool well_placed =
          (Waiting(p) && p.position >= 1) || (p.status == "ACTIVE" && p.position == 0);
      if (p.token.empty() || p.concert_id != o.concert_id || !well_placed) {
        readable.Add("token " + Describe(p) + " of concert " + p.concert_id);
      }
      if (!tokens.insert(p.token).second) distinct.Add("token " + p.token + " given twice");
    }
  }
  report.checks.push_back(readable.Finish("201 answers are places in the concert's room",
                                          std::to_string(joins) + " places"));

  Failures fresh;
  if (o.existing_places > 0) {
    fresh.Add(std::to_string(o.existing_places) + " new buyers were given an existing place");
  }
  report.checks.push_back(
      fresh.Finish("every new buyer got a new place", std::to_string(joins) + " joins"));
  report.checks.push_back(
      distinct.Finish("no token given twice", std::to_string(tokens.size()) + " tokens"));

  // Read back: each place still exists, and never moved back.
  Failures kept;
  for (const auto& r : o.read_back) {
    const QueuePlace& then = o.joined[r.connection][r.index];
    if (!r.now) {
      kept.Add("token " + then.token + " is gone");
    } else if (r.now->token != then.token || r.now->concert_id != o.concert_id) {
      kept.Add("token " + then.token + " read back as " + r.now->token + " of " +
               r.now->concert_id);
    } else if (Waiting(*r.now) && (!Waiting(then) || r.now->position > then.position)) {
      kept.Add("token " + Describe(then) + " is now " + Describe(*r.now));
    }
  }
  report.checks.push_back(kept.Finish("places read back never moved back in line",
                                      std::to_string(o.read_back.size()) + " read back"));

  // Arrival order, per connection: walk each connection's read-back places in arrival order.
  Failures ordered;
  std::vector<const QueueJoinObservation::ReadBack*> sorted;
  sorted.reserve(o.read_back.size());
  for (const auto& r : o.read_back) {
    if (r.now) sorted.push_back(&r);
  }
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return std::pair(a->connection, a->index) < std::pair(b->connection, b->index);
  });
  for (size_t i = 1; i < sorted.size(); ++i) {
    const auto& earlier = *sorted[i - 1];
    const auto& later = *sorted[i];
    if (earlier.connection != later.connection) continue;
    // A later arrival admitted means the earlier one was admitted too; both waiting means the
    // earlier one is ahead.
    const bool in_order = Waiting(*later.now) ? (!Waiting(*earlier.now) ||
                                                 earlier.now->position < later.now->position)
                                              : !Waiting(*earlier.now);
    if (!in_order) {
      ordered.Add("connection " + std::to_string(earlier.connection) + ": " +
                  Describe(*earlier.now) + " joined before " + Describe(*later.now));
    }
  }
  report.checks.push_back(ordered.Finish("each connection's places keep their arrival order",
                                         std::to_string(sorted.size()) + " places compared"));
  return report;
}

}  // namespace bo::loadgen

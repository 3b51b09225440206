#include "adapters/audit_checks.h"

#include <iterator>

namespace bo {
namespace {

constexpr AuditQuery kQueries[] = {
    {"no seat is held or sold by two reservations",
     "SELECT rs.seat_id FROM reservation_seats rs JOIN reservations r ON r.id = rs.reservation_id"
     " WHERE r.status IN ('HELD', 'PAID') GROUP BY rs.seat_id HAVING COUNT(*) > 1",
     nullptr},
    {"every held or sold seat belongs to its live reservation",
     "SELECT s.id FROM seats s LEFT JOIN reservations r ON r.id = s.reservation_id"
     " WHERE (s.status = 'HELD' AND r.status IS NOT 'HELD')"
     " OR (s.status = 'SOLD' AND r.status IS NOT 'PAID')",
     "SELECT s.id FROM seats s LEFT JOIN reservations r ON r.id = s.reservation_id"
     " WHERE (s.status = 'HELD' AND r.status IS DISTINCT FROM 'HELD')"
     " OR (s.status = 'SOLD' AND r.status IS DISTINCT FROM 'PAID')"},
    {"every live seated reservation holds each of its seats",
     "SELECT rs.reservation_id FROM reservation_seats rs"
     " JOIN reservations r ON r.id = rs.reservation_id LEFT JOIN seats s ON s.id = rs.seat_id"
     " WHERE r.status IN ('HELD', 'PAID') AND (s.reservation_id IS NOT r.id"
     " OR s.status <> CASE r.status WHEN 'HELD' THEN 'HELD' ELSE 'SOLD' END)",
     "SELECT rs.reservation_id FROM reservation_seats rs"
     " JOIN reservations r ON r.id = rs.reservation_id LEFT JOIN seats s ON s.id = rs.seat_id"
     " WHERE r.status IN ('HELD', 'PAID') AND (s.reservation_id IS DISTINCT FROM r.id"
     " OR s.status <> CASE r.status WHEN 'HELD' THEN 'HELD' ELSE 'SOLD' END)"},
    // PostgreSQL keeps no foreign key from reservations to schedules (a check per hold on the
    // hottest row); the hold reads its schedule in its own transaction and schedules are never
    // deleted. This says so after the fact.
    {"every reservation belongs to a schedule",
     "SELECT r.id FROM reservations r LEFT JOIN schedules sc ON sc.id = r.schedule_id"
     " WHERE sc.id IS NULL",
     nullptr},
    {"seatsAvailable of every schedule counts its available seats",
     "SELECT sc.id FROM schedules sc WHERE sc.seats_available <>"
     " (SELECT COUNT(*) FROM seats s WHERE s.schedule_id = sc.id AND s.status = 'AVAILABLE')"
     " OR sc.seats_total <> (SELECT COUNT(*) FROM seats s WHERE s.schedule_id = sc.id)",
     nullptr},
    {"sold <= capacity, and taken units equal held + paid quantities",
     "SELECT t.id FROM ticket_types t WHERE t.taken > t.capacity OR t.taken <>"
     " (SELECT COALESCE(SUM(r.quantity), 0) FROM reservations r"
     "  WHERE r.ticket_type_id = t.id AND r.status IN ('HELD', 'PAID'))",
     nullptr},
    {"every paid reservation has one payment of its amount, and no other has one",
     "SELECT r.id FROM reservations r LEFT JOIN payments p ON p.reservation_id = r.id"
     " WHERE (r.status IN ('PAID', 'REFUNDED') AND (p.id IS NULL OR p.amount <> r.amount))"
     " OR (r.status NOT IN ('PAID', 'REFUNDED') AND p.id IS NOT NULL)",
     nullptr},
    {"every paid reservation has one ticket per seat or unit",
     "SELECT r.id FROM reservations r WHERE r.status = 'PAID' AND r.quantity <>"
     " (SELECT COUNT(*) FROM tickets t WHERE t.reservation_id = r.id AND t.status = 'VALID')",
     nullptr},
    {"no seat has two valid tickets",
     "SELECT seat_id FROM tickets WHERE seat_id IS NOT NULL AND status = 'VALID'"
     " GROUP BY seat_id HAVING COUNT(*) > 1",
     nullptr},
    {"every points payment has exactly its debit",
     "SELECT p.id FROM payments p WHERE p.method = 'POINTS' AND 1 <>"
     " (SELECT COUNT(*) FROM wallet_transactions w WHERE w.payment_id = p.id"
     "  AND w.kind = 'PAYMENT' AND w.amount = p.amount)",
     nullptr},
    {"every wallet balance equals the sum of its transactions",
     "SELECT w.user_id FROM wallets w WHERE w.balance <>"
     " (SELECT COALESCE(SUM(CASE t.kind WHEN 'PAYMENT' THEN -t.amount ELSE t.amount END), 0)"
     "  FROM wallet_transactions t WHERE t.user_id = w.user_id)"
     " UNION SELECT DISTINCT t.user_id FROM wallet_transactions t"
     " WHERE t.user_id NOT IN (SELECT user_id FROM wallets)",
     nullptr},
    {"no wallet balance is negative, before or after any transaction",
     "SELECT user_id FROM wallets WHERE balance < 0"
     " UNION SELECT user_id FROM wallet_transactions WHERE balance_after < 0",
     nullptr},
    // Outbox rows delivered to every consumer are pruned, and payments no newer than
    // the pruned events are not checked. The uncorrelated NOT IN is built once into a
    // temporary index: a correlated lookup would decode every event's JSON once per payment.
    {"every paid reservation has its payment.completed event",
     "SELECT p.id FROM payments p WHERE p.id NOT IN (SELECT json_extract(o.data, '$.id')"
     " FROM outbox o WHERE o.type = 'payment.completed'"
     " AND json_extract(o.data, '$.id') IS NOT NULL)"
     " AND p.created_at_ms > COALESCE((SELECT through_time_ms FROM outbox_pruned), -1)",
     "SELECT p.id FROM payments p WHERE NOT EXISTS (SELECT 1 FROM outbox o"
     " WHERE o.type = 'payment.completed' AND o.data::jsonb ->> 'id' = p.id)"
     " AND p.created_at_ms > COALESCE((SELECT through_time_ms FROM outbox_pruned), -1)"},
};

constexpr size_t kOffendersShownMax = 5;

}  // namespace

std::span<const AuditQuery> AuditQueries() { return kQueries; }

AuditCheck AuditCheckFrom(const char* name, const std::vector<std::string>& offenders) {
  AuditCheck check{name, offenders.empty(), ""};
  if (offenders.empty()) return check;
  for (size_t i = 0; i < offenders.size() && i < kOffendersShownMax; ++i) {
    check.detail += (i ? ", " : "") + offenders[i];
  }
  check.detail = std::to_string(offenders.size()) + " offending: " + check.detail;
  return check;
}

}  // namespace bo

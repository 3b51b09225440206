"""Holds that are not paid in time (--hold-seconds 2): they expire, their seats and units come
back, a late payment is refused, and a payment racing the expiry either wins completely or
loses completely."""

import time
import unittest

from harness import ServerTestCase, new_key, parse_time, poll, race, run_parallel

HOLD_SECONDS = 2
SETTLE_S = 20  # bound for the sweeper (once a second) to have released what expired
# Server and tests read the same system clock; this absorbs rounding of parsed times only.
EPSILON_S = 0.001


class ExpiryTest(ServerTestCase):
    hold_seconds = HOLD_SECONDS

    def _schedule(self, seats=10, price=10000, ticket_types=None):
        concert = self.create_concert()
        return self.create_schedule(
            concert["id"], seat_rows={"sections": ["A"], "rows": 1, "perRow": seats,
                                      "grade": "R", "price": price} if seats else None,
            seats=None if seats else [], ticket_types=ticket_types)

    def _hold(self, token, body):
        return self.user_client(token).post("/v1/reservations", body)

    def _wait_presented_expired(self, me, res):
        """Polls the reservation until it reads EXPIRED; checks it never reads EXPIRED before
        its expiresAt nor HELD after it. Returns the last reply."""
        expires = parse_time(res["expiresAt"])
        last = {}

        def check():
            sent = time.time()
            r = me.get("/v1/reservations/" + res["id"])
            received = time.time()
            self.assertStatus(r, 200)
            status = r.json["status"]
            if status == "EXPIRED":
                self.assertGreaterEqual(received + EPSILON_S, expires, "EXPIRED before expiresAt")
            elif status == "HELD":
                self.assertLess(sent, expires + EPSILON_S, "still HELD after expiresAt")
            last["r"] = r
            return status == "EXPIRED"

        self.assertTrue(poll(check, HOLD_SECONDS + SETTLE_S, 0.02), "hold never expired")
        return last["r"]

    def _wait_released(self, schedule_id, seat_ids):
        def released():
            statuses = self.seat_statuses(schedule_id)
            return all(statuses[s] == "AVAILABLE" for s in seat_ids)

        self.assertTrue(poll(released, HOLD_SECONDS + SETTLE_S, 0.1),
                        "the seats of an expired hold never became AVAILABLE")

    def test_unpaid_hold_expires_and_releases_its_seats(self):
        sch = self._schedule(seats=4)
        seats = [s["id"] for s in self.seat_map(sch["id"])]
        _, token = self.minted_user()
        me = self.user_client(token)
        r = self._hold(token, {"scheduleId": sch["id"], "seatIds": seats[:2]})
        self.assertStatus(r, 201)
        res = r.json
        self.assertAlmostEqual(parse_time(res["expiresAt"]) - parse_time(res["createdAt"]),
                               HOLD_SECONDS, delta=0.01)
        self.assertEqual(self.schedule(sch["id"])["seatsAvailable"], 2)

        r = self._wait_presented_expired(me, res)
        self.assertEqual(r.json["seatIds"], seats[:2])
        self._wait_released(sch["id"], seats[:2])
        self.assertEqual(self.schedule(sch["id"])["seatsAvailable"], 4)
        self.assertEqual(me.get("/v1/reservations/" + res["id"]).json["status"], "EXPIRED")
        listed = me.get("/v1/reservations").json["items"]
        self.assertEqual([(x["id"], x["status"]) for x in listed], [(res["id"], "EXPIRED")])
        self.assertProblem(me.delete("/v1/reservations/" + res["id"]), 409, "INVALID_STATE")
        metrics = self.anon.get("/metrics").raw.decode()
        self.assertRegex(metrics, r"(?m)^boxoffice_expiries_total [1-9]")

    def test_expired_general_admission_units_come_back(self):
        sch = self._schedule(seats=0, ticket_types=[{"name": "GA", "price": 2000,
                                                     "capacity": 2}])
        tt = sch["ticketTypes"][0]["id"]
        _, token = self.minted_user()
        r = self._hold(token, {"scheduleId": sch["id"], "ticketTypeId": tt, "quantity": 2})
        self.assertStatus(r, 201)
        res = r.json
        self.assertEqual(self.schedule(sch["id"])["ticketTypes"][0]["available"], 0)
        self._wait_presented_expired(self.user_client(token), res)
        self.assertTrue(poll(lambda: self.schedule(sch["id"])["ticketTypes"][0]["available"] == 2,
                             SETTLE_S, 0.1), "units of an expired hold never came back")

    def test_paying_after_expiry_is_refused_and_debits_nothing(self):
        sch = self._schedule(seats=2, price=25000)
        seat = self.seat_map(sch["id"])[0]["id"]
        _, token = self.minted_user()
        me = self.user_client(token)
        self.charge(token, 100000)
        r = self._hold(token, {"scheduleId": sch["id"], "seatIds": [seat]})
        self.assertStatus(r, 201)
        res = r.json
        self._wait_presented_expired(me, res)

        def pay():
            return me.post("/v1/payments", {"reservationId": res["id"], "method": "POINTS"},
                           idempotency_key=new_key())

        # Right when it reads EXPIRED (perhaps before the sweeper recorded it), and again once
        # its seat is back.
        self.assertProblem(pay(), 409, "RESERVATION_EXPIRED")
        self._wait_released(sch["id"], [seat])
        self.assertProblem(pay(), 409, "RESERVATION_EXPIRED")

        self.assertEqual(self.balance(token), 100000)
        self.assertEqual(me.get("/v1/tickets").json["items"], [])
        txs = self.list_all(me, "/v1/wallet/transactions")
        self.assertEqual([t["kind"] for t in txs], ["CHARGE"])
        self.assertEqual(me.get("/v1/reservations/" + res["id"]).json["status"], "EXPIRED")
        self.assertEqual(self.seat_statuses(sch["id"])[seat], "AVAILABLE")

    def test_a_new_buyer_can_hold_what_expired(self):
        sch = self._schedule(seats=3, price=9000,
                             ticket_types=[{"name": "GA", "price": 4000, "capacity": 3}])
        seat = self.seat_map(sch["id"])[1]["id"]
        tt = sch["ticketTypes"][0]["id"]
        _, first = self.minted_user()
        _, second = self.minted_user()
        r = self._hold(first, {"scheduleId": sch["id"], "seatIds": [seat]})
        self.assertStatus(r, 201)
        seat_hold = r.json
        r = self._hold(first, {"scheduleId": sch["id"], "ticketTypeId": tt, "quantity": 3})
        self.assertStatus(r, 201)
        units_hold = r.json

        # While the first holds last, the second buyer is refused.
        r = self._hold(second, {"scheduleId": sch["id"], "seatIds": [seat]})
        if time.time() < parse_time(seat_hold["expiresAt"]):
            self.assertProblem(r, 409, "SEAT_UNAVAILABLE")
        r = self._hold(second, {"scheduleId": sch["id"], "ticketTypeId": tt, "quantity": 1})
        if time.time() < parse_time(units_hold["expiresAt"]):
            self.assertProblem(r, 409, "SOLD_OUT")

        # As soon as the first holds read EXPIRED, whether or not the sweeper has run yet.
        self._wait_presented_expired(self.user_client(first), seat_hold)
        self._wait_presented_expired(self.user_client(first), units_hold)
        r = self._hold(second, {"scheduleId": sch["id"], "seatIds": [seat]})
        self.assertStatus(r, 201)
        new_seat_hold = r.json
        r = self._hold(second, {"scheduleId": sch["id"], "ticketTypeId": tt, "quantity": 3})
        self.assertStatus(r, 201)
        new_units_hold = r.json

        self.assertEqual(self.seat_statuses(sch["id"])[seat], "HELD")
        self.charge(second, 9000 + 12000)
        me = self.user_client(second)
        for res in (new_seat_hold, new_units_hold):
            r = me.post("/v1/payments", {"reservationId": res["id"], "method": "POINTS"},
                        idempotency_key=new_key())
            self.assertStatus(r, 201)
        self.assertEqual(self.seat_statuses(sch["id"])[seat], "SOLD")
        self.assertEqual(self.balance(second), 0)
        self.assertEqual(len(me.get("/v1/tickets").json["items"]), 4)
        old = self.user_client(first)
        self.assertEqual(old.get("/v1/reservations/" + seat_hold["id"]).json["status"], "EXPIRED")
        self.assertEqual(old.get("/v1/reservations/" + units_hold["id"]).json["status"],
                         "EXPIRED")

    def test_payment_racing_the_expiry_is_all_or_nothing(self):
        n = 30
        price = 7000
        start_balance = 50000
        sch = self._schedule(seats=n, price=price)
        seats = [s["id"] for s in self.seat_map(sch["id"])]
        users = [self.minted_user("usr-expiry-race") for _ in range(n)]
        run_parallel(lambda tok: self.charge(tok, start_balance), [(tok,) for _, tok in users])
        holds = race(lambda tok, seat: self._hold(tok, {"scheduleId": sch["id"],
                                                        "seatIds": [seat]}),
                     [(tok, seat) for (_, tok), seat in zip(users, seats)], workers=n)
        for r in holds:
            self.assertStatus(r, 201)
        reservations = [r.json for r in holds]

        # Each payment leaves at its own offset from its hold's expiry, from 250 ms before to
        # 250 ms after.
        def pay_at(i):
            tok, res = users[i][1], reservations[i]
            target = parse_time(res["expiresAt"]) - 0.25 + 0.5 * i / (n - 1)
            delay = target - time.time()
            if delay > 0:
                time.sleep(delay)
            sent = time.time()
            r = self.user_client(tok).post("/v1/payments",
                                           {"reservationId": res["id"], "method": "POINTS"},
                                           idempotency_key=new_key())
            return sent, r, time.time()

        outcomes = run_parallel(pay_at, [(i,) for i in range(n)], workers=n)

        def settled():
            return "HELD" not in self.seat_statuses(sch["id"]).values()

        self.assertTrue(poll(settled, SETTLE_S, 0.1), "seats still HELD long after expiry")
        statuses = self.seat_statuses(sch["id"])
        paid = 0
        for i, (sent, r, received) in enumerate(outcomes):
            (uid, tok), res = users[i], reservations[i]
            expires = parse_time(res["expiresAt"])
            me = self.user_client(tok)
            now = me.get("/v1/reservations/" + res["id"]).json["status"]
            tickets = self.list_all(me, "/v1/tickets")
            balance = self.balance(tok)
            kinds = [t["kind"] for t in self.list_all(me, "/v1/wallet/transactions")]
            seat = res["seatIds"][0]
            ctx = "hold %d: pay sent %+.3f s, answered %+.3f s from expiry: %r" % (
                i, sent - expires, received - expires, r)
            if r.status == 201:
                paid += 1
                self.assertLess(sent, expires + EPSILON_S,
                                "paid although sent after expiry; " + ctx)
                self.assertEqual(r.json["status"], "PAID", ctx)
                self.assertEqual(now, "PAID", ctx)
                self.assertEqual([t["seatId"] for t in tickets], [seat], ctx)
                self.assertEqual(balance, start_balance - price, ctx)
                self.assertEqual(sorted(kinds), ["CHARGE", "PAYMENT"], ctx)
                self.assertEqual(statuses[seat], "SOLD", ctx)
            else:
                self.assertProblem(r, 409, "RESERVATION_EXPIRED", msg=ctx)
                self.assertGreaterEqual(received + EPSILON_S, expires,
                                        "refused before expiry; " + ctx)
                self.assertEqual(now, "EXPIRED", ctx)
                self.assertEqual(tickets, [], ctx)
                self.assertEqual(balance, start_balance, ctx)
                self.assertEqual(kinds, ["CHARGE"], ctx)
                self.assertEqual(statuses[seat], "AVAILABLE", ctx)
        self.assertEqual(self.schedule(sch["id"])["seatsAvailable"], n - paid)


if __name__ == "__main__":
    unittest.main()

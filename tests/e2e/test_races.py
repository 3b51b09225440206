"""Many buyers at once: a seat is held by one buyer only, a multi-seat hold is all or nothing,
general admission never oversells, and paying the winners issues exactly their tickets."""

import random
import unittest

from harness import ServerTestCase, new_key, race, run_parallel

WORKERS = 100


class RaceTest(ServerTestCase):

    def _users(self, n, prefix):
        return [self.minted_user(prefix) for _ in range(n)]

    def _warm(self):
        self.anon.get("/healthz")

    def _hold(self, token, body):
        return self.user_client(token).post("/v1/reservations", body)

    def _pay_all(self, winners):
        """Charges each winner exactly its amount and pays every hold at once; then checks the
        payments, tickets and balances."""
        run_parallel(lambda tok, res: self.charge(tok, res["amount"]),
                     [(tok, res) for tok, res in winners], workers=WORKERS)
        replies = race(
            lambda tok, res: self.user_client(tok).post(
                "/v1/payments", {"reservationId": res["id"], "method": "POINTS"},
                idempotency_key=new_key()),
            winners, workers=WORKERS, warm=self._warm)
        tickets_paid = 0
        for (tok, res), r in zip(winners, replies):
            self.assertStatus(r, 201)
            self.assertEqual(r.json["status"], "PAID")
            self.assertEqual(r.json["amount"], res["amount"])
            self.assertEqual(r.json["reservationId"], res["id"])
            self.assertEqual(len(r.json["tickets"]), res["quantity"], repr(r))
            if res["seatIds"]:
                self.assertEqual(sorted(t["seatId"] for t in r.json["tickets"]),
                                 sorted(res["seatIds"]))
            tickets_paid += len(r.json["tickets"])

        def after(tok, res):
            me = self.user_client(tok)
            return (me.get("/v1/reservations/" + res["id"]), me.get("/v1/wallet"),
                    self.list_all(me, "/v1/tickets"))

        codes = set()
        tickets_held = 0
        for (tok, res), (r, wallet, tickets) in zip(
                winners, run_parallel(after, winners, workers=WORKERS)):
            self.assertEqual(r.json["status"], "PAID")
            self.assertEqual(wallet.json["balance"], 0)
            mine = [t for t in tickets if t["reservationId"] == res["id"]]
            self.assertEqual(len(mine), res["quantity"])
            tickets_held += len(mine)
            codes.update(t["code"] for t in mine)
        self.assertEqual(tickets_held, tickets_paid)
        self.assertEqual(len(codes), tickets_paid)
        return tickets_paid

    def test_300_buyers_for_one_seat(self):
        concert = self.create_concert()
        sch = self.create_schedule(concert["id"], seat_rows={
            "sections": ["A"], "rows": 1, "perRow": 5, "grade": "R", "price": 77000})
        seats = self.seat_map(sch["id"])
        target = seats[0]["id"]
        users = self._users(300, "usr-one-seat")
        replies = race(lambda tok: self._hold(tok, {"scheduleId": sch["id"], "seatIds": [target]}),
                       [(tok,) for _, tok in users], workers=WORKERS, warm=self._warm)

        won = [(u, r) for u, r in zip(users, replies) if r.status == 201]
        self.assertEqual(len(won), 1, "exactly one buyer holds the seat: %r"
                         % [r for _, r in won][:5])
        for u, r in zip(users, replies):
            if r.status != 201:
                self.assertProblem(r, 409, "SEAT_UNAVAILABLE")
        (winner_id, winner_token), res = won[0][0], won[0][1].json
        self.assertEqual(res["userId"], winner_id)
        self.assertEqual(res["seatIds"], [target])
        self.assertEqual(res["amount"], 77000)

        statuses = self.seat_statuses(sch["id"])
        self.assertEqual(statuses[target], "HELD")
        self.assertEqual([s for s, st in statuses.items() if st != "AVAILABLE"], [target])
        self.assertEqual(self.schedule(sch["id"])["seatsAvailable"], 4)

        losers = [tok for (uid, tok), r in zip(users, replies) if r.status != 201]
        lists = run_parallel(lambda tok: self.user_client(tok).get("/v1/reservations"),
                             [(tok,) for tok in losers], workers=WORKERS)
        for r in lists:
            self.assertStatus(r, 200)
            self.assertEqual(r.json["items"], [], "a refused buyer holds nothing")

        # The winner, double-clicking pay with different keys, pays once.
        self.charge(winner_token, 2 * 77000)
        pays = race(lambda key: self.user_client(winner_token).post(
            "/v1/payments", {"reservationId": res["id"], "method": "POINTS"},
            idempotency_key=key), [(new_key(),) for _ in range(20)], workers=20,
            warm=self._warm)
        ok = [r for r in pays if r.status == 201]
        self.assertEqual(len(ok), 1, pays)
        for r in pays:
            if r.status != 201:
                self.assertProblem(r, 409, "INVALID_STATE")
        self.assertEqual(self.balance(winner_token), 77000)
        me = self.user_client(winner_token)
        txs = self.list_all(me, "/v1/wallet/transactions")
        self.assertEqual([t["kind"] for t in txs].count("PAYMENT"), 1)
        self.assertEqual(len(self.list_all(me, "/v1/tickets")), 1)
        self.assertEqual(self.seat_statuses(sch["id"])[target], "SOLD")

    def test_overlapping_multi_seat_holds_are_all_or_nothing(self):
        concert = self.create_concert()
        sch = self.create_schedule(concert["id"], seat_rows={
            "sections": ["A"], "rows": 1, "perRow": 20, "grade": "S", "price": 10000})
        seats = sorted(self.seat_map(sch["id"]), key=lambda s: s["number"])
        self.assertEqual([s["number"] for s in seats], list(range(1, 21)))
        ids = [s["id"] for s in seats]
        seed = random.randrange(1 << 30)
        rng = random.Random(seed)
        users = self._users(200, "usr-multi")
        asks = []
        for _ in users:
            n = rng.randint(2, 4)
            start = rng.randint(0, 20 - n)
            wanted = ids[start:start + n]
            if rng.random() < 0.5:
                wanted = wanted[::-1]
            asks.append(wanted)

        replies = race(
            lambda tok, wanted: self._hold(tok, {"scheduleId": sch["id"], "seatIds": wanted}),
            [(tok, wanted) for (_, tok), wanted in zip(users, asks)],
            workers=WORKERS, warm=self._warm)

        held_by = {}
        winners = []
        for (uid, tok), wanted, r in zip(users, asks, replies):
            msg = "seed %d" % seed
            if r.status == 201:
                self.assertEqual(r.json["seatIds"], wanted, msg)
                self.assertEqual(r.json["amount"], 10000 * len(wanted), msg)
                self.assertEqual(r.json["status"], "HELD", msg)
                for s in wanted:
                    self.assertNotIn(s, held_by, "seat %s in two successful holds (%s)" % (s, msg))
                    held_by[s] = uid
                winners.append((tok, r.json))
            else:
                self.assertProblem(r, 409, "SEAT_UNAVAILABLE", msg=msg)
        self.assertTrue(winners)

        statuses = self.seat_statuses(sch["id"])
        held = {s for s, st in statuses.items() if st == "HELD"}
        self.assertEqual(held, set(held_by), "HELD seats are exactly the successful holds")
        self.assertEqual({st for s, st in statuses.items() if s not in held}, {"AVAILABLE"}
                         if len(held) < 20 else set())
        self.assertEqual(self.schedule(sch["id"])["seatsAvailable"], 20 - len(held))

        losers = [tok for (uid, tok), r in zip(users, replies) if r.status != 201]
        for r in run_parallel(lambda tok: self.user_client(tok).get("/v1/reservations"),
                              [(tok,) for tok in losers], workers=WORKERS):
            self.assertEqual(r.json["items"], [], "a refused multi-seat hold holds nothing")

        paid = self._pay_all(winners)
        self.assertEqual(paid, len(held))
        statuses = self.seat_statuses(sch["id"])
        self.assertEqual({s for s, st in statuses.items() if st == "SOLD"}, held)
        self.assertNotIn("HELD", statuses.values())

    def test_400_buyers_for_50_general_admission_units(self):
        concert = self.create_concert()
        sch = self.create_schedule(concert["id"], seats=[], ticket_types=[
            {"name": "Standing", "price": 5000, "capacity": 50}])
        tt = sch["ticketTypes"][0]["id"]
        users = self._users(400, "usr-ga")
        replies = race(
            lambda tok: self._hold(tok, {"scheduleId": sch["id"], "ticketTypeId": tt,
                                         "quantity": 1}),
            [(tok,) for _, tok in users], workers=WORKERS, warm=self._warm)
        winners = []
        for (uid, tok), r in zip(users, replies):
            if r.status == 201:
                self.assertEqual((r.json["quantity"], r.json["amount"], r.json["ticketTypeId"]),
                                 (1, 5000, tt))
                winners.append((tok, r.json))
            else:
                self.assertProblem(r, 409, "SOLD_OUT")
        self.assertEqual(len(winners), 50)
        self.assertEqual(len({res["id"] for _, res in winners}), 50)
        self.assertEqual(self.schedule(sch["id"])["ticketTypes"][0]["available"], 0)

        paid = self._pay_all(winners)
        self.assertEqual(paid, 50)
        (t,) = self.schedule(sch["id"])["ticketTypes"]
        self.assertEqual((t["capacity"], t["available"]), (50, 0))
        _, late = self.minted_user()
        r = self._hold(late, {"scheduleId": sch["id"], "ticketTypeId": tt, "quantity": 1})
        self.assertProblem(r, 409, "SOLD_OUT")

    def test_concurrent_signups_with_one_email(self):
        email = self.unique("twin") + "@example.com"
        replies = race(lambda i: self.anon.post("/v1/auth/signup", {
            "email": email, "password": "password-%d" % i, "name": "Twin %d" % i}),
            [(i,) for i in range(10)], workers=10, warm=self._warm)
        created = [(i, r) for i, r in enumerate(replies) if r.status == 201]
        self.assertEqual(len(created), 1, replies)
        for r in replies:
            if r.status != 201:
                self.assertProblem(r, 409, "EMAIL_TAKEN")
        i, r = created[0]
        login = self.login(email, "password-%d" % i)
        self.assertStatus(login, 200)
        me = self.user_client(login.json["accessToken"]).get("/v1/me")
        self.assertEqual((me.json["id"], me.json["name"]), (r.json["userId"], "Twin %d" % i))
        other = (i + 1) % 10
        self.assertProblem(self.login(email, "password-%d" % other), 401, "INVALID_CREDENTIALS")

    def test_cancel_and_pay_of_one_hold_at_once(self):
        concert = self.create_concert()
        sch = self.create_schedule(concert["id"], seat_rows={
            "sections": ["B"], "rows": 2, "perRow": 10, "grade": "A", "price": 3000})
        seats = [s["id"] for s in self.seat_map(sch["id"])]
        users = self._users(20, "usr-cancel-pay")
        holds = []
        for (uid, tok), seat in zip(users, seats):
            r = self._hold(tok, {"scheduleId": sch["id"], "seatIds": [seat]})
            self.assertStatus(r, 201)
            self.charge(tok, 3000)
            holds.append((tok, r.json))

        def act(kind, tok, res):
            me = self.user_client(tok)
            if kind == "pay":
                return me.post("/v1/payments", {"reservationId": res["id"], "method": "POINTS"},
                               idempotency_key=new_key())
            return me.delete("/v1/reservations/" + res["id"])

        calls = []
        for tok, res in holds:
            calls += [("pay", tok, res), ("cancel", tok, res)]
        replies = race(act, calls, workers=len(calls), warm=self._warm)
        statuses = self.seat_statuses(sch["id"])
        for i, (tok, res) in enumerate(holds):
            pay, cancel = replies[2 * i], replies[2 * i + 1]
            self.assertEqual((pay.status == 201) + (cancel.status == 200), 1,
                             "exactly one of pay and cancel wins: %r %r" % (pay, cancel))
            now = self.user_client(tok).get("/v1/reservations/" + res["id"]).json["status"]
            tickets = self.user_client(tok).get("/v1/tickets").json["items"]
            seat = res["seatIds"][0]
            if pay.status == 201:
                self.assertProblem(cancel, 409, "INVALID_STATE")
                self.assertEqual(now, "PAID")
                self.assertEqual(len(tickets), 1)
                self.assertEqual(self.balance(tok), 0)
                self.assertEqual(statuses[seat], "SOLD")
            else:
                self.assertStatus(cancel, 200)
                self.assertProblem(pay, 409, "INVALID_STATE")
                self.assertEqual(now, "CANCELLED")
                self.assertEqual(tickets, [])
                self.assertEqual(self.balance(tok), 3000)
                self.assertEqual(statuses[seat], "AVAILABLE")


if __name__ == "__main__":
    unittest.main()

"""The scale-out shape: three stateless instances on one PostgreSQL 15, behind HAProxy with the
project's own deploy/haproxy.cfg. Races spread over the instances never sell a seat twice or a
ticket type beyond its capacity; a hold made on one instance is paid on another and expires
once whichever instance sweeps it; `kill -9` of an instance mid-race leaves the others
answering and the restarted one rejoins; a database restart gives clean 503 problem+json
answers and then recovery without restarting boxoffice. `boxoffice audit --store` runs after
every test."""

import collections
import json
import os
import random
import threading
import time
import unittest

from harness import (Client, Server, ServerTestCase, audit_store, new_key,
                     poll, race, run_parallel, stop_instances)
from services import HaproxyServer, PostgresCluster, free_port

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HAPROXY_CONFIG = os.path.join(ROOT, "deploy", "haproxy.cfg")
HOLD_SECONDS = 8
WRITER_BACKOFF_S = 2.0  # a writer lane's reconnect backoff is at most 0.5 s; margin for slow builds
WORKERS = 100
RECOVERY_TIMEOUT_S = 60
JOINS_PER_ADDRESS = 5
SWEEPS_S = 3  # a few of every instance's sweep rounds


class ScaleOutTest(ServerTestCase):
    hold_seconds = HOLD_SECONDS

    @classmethod
    def setUpClass(cls):
        cls.pg = PostgresCluster()
        cls.addClassCleanup(cls.pg.stop)
        cls.pg.start()
        cls.store_url = cls.pg.create_database("boxoffice")
        cls.extra_args = ("--store", cls.store_url, "--trusted-proxies", "127.0.0.1",
                          "--queue-joins-per-address-per-minute", str(JOINS_PER_ADDRESS))
        super().setUpClass()  # instance A: cls.server
        cls.others = []
        for _ in range(2):  # B and C, on fixed ports so that a restart keeps its place
            s = Server(hold_seconds=HOLD_SECONDS, extra_args=cls.extra_args,
                       listen_port=free_port())
            s.secret = cls.server.secret  # one --jwt-secret for every instance
            cls.addClassCleanup(s.remove)
            s.start()
            cls.others.append(s)
        cls.instances = [cls.server] + cls.others
        cls.lb = HaproxyServer(HAPROXY_CONFIG,
                               ["127.0.0.1:%d" % s.port for s in cls.instances])
        cls.addClassCleanup(cls.lb.stop)
        cls.lb.start()
        cls.lb_anon = Client("127.0.0.1", cls.lb.port)
        # Every instance in rotation: the proxy's health checks have passed.
        poll(lambda: cls.lb_anon.get("/healthz").status == 200, RECOVERY_TIMEOUT_S)

    @classmethod
    def tearDownClass(cls):
        stop_instances(cls.instances)
        cls.lb.stop()
        cls.check_audit()

    @classmethod
    def check_audit(cls):
        audit_store(cls.server, cls.store_url)

    def tearDown(self):
        self.check_audit()

    # ---- helpers ------------------------------------------------------------------------------

    def lb_client(self, token):
        return Client("127.0.0.1", self.lb.port, token, self.lb_anon.pool)

    def spread(self, i, token):
        """Request i's client: the instances in turn."""
        return self.instances[i % len(self.instances)].client(token)

    def seated(self, seats):
        concert = self.create_concert()
        sch = self.create_schedule(concert["id"], seat_rows={
            "sections": ["A"], "rows": 1, "perRow": seats, "grade": "R", "price": 1000})
        return sch, [s["id"] for s in self.seat_map(sch["id"])]

    def users(self, n, prefix):
        return [self.minted_user(prefix)[1] for _ in range(n)]

    def held_seats_everywhere(self, schedule_id):
        """The HELD or SOLD seats as every instance shows them (they must agree)."""
        views = []
        for s in self.instances:
            r = s.client().get("/v1/schedules/%s/seats" % schedule_id)
            self.assertStatus(r, 200)
            views.append(sorted(x["id"] for x in r.json["items"]
                                if x["status"] in ("HELD", "SOLD")))
        for v in views[1:]:
            self.assertEqual(v, views[0])
        return set(views[0])

    def logs(self):
        """The tail of every instance's log, for failure messages."""
        return "\n".join("--- instance %d:\n%s" % (i, s.log_tail(15))
                         for i, s in enumerate(self.instances))

    def sale_statuses(self, replies, refusal):
        """The statuses of a race's answers, after checking each is a sale (201), a refusal
        (409 `refusal`) or a clean 503 UNAVAILABLE. Under load a request that waited on
        another instance's row locks past the store's round-trip limit is answered 503 and
        keeps nothing; each caller checks what is held against the 201s alone."""
        for r in replies:
            self.assertIn(r.status, (201, 409, 503), "%r\n%s" % (r, self.logs()))
            if r.status == 409:
                self.assertEqual(r.json["code"], refusal)
            elif r.status == 503:
                self.assertEqual(r.json["code"], "UNAVAILABLE")
        return collections.Counter(r.status for r in replies)

    def outbox_events(self, event_type):
        rows = self.pg.query("boxoffice", "SELECT data FROM outbox WHERE type = '%s'" % event_type)
        return [json.loads(row[0]) for row in rows]

    # ---- races across instances ---------------------------------------------------------------

    def test_one_seat_600_requests_over_three_instances(self):
        sch, [seat] = self.seated(1)
        tokens = self.users(600, "so-one")
        replies = race(lambda i, tok: self.spread(i, tok).post(
            "/v1/reservations", {"scheduleId": sch["id"], "seatIds": [seat]}),
            list(enumerate(tokens)), workers=WORKERS)
        statuses = self.sale_statuses(replies, "SEAT_UNAVAILABLE")
        self.assertEqual(statuses[201], 1, "%s\n%s" % (statuses, self.logs()))
        self.assertEqual(self.held_seats_everywhere(sch["id"]), {seat})

    def test_1000_buyers_for_100_ga_units_through_the_proxy(self):
        concert = self.create_concert()
        sch = self.create_schedule(concert["id"], ticket_types=[
            {"name": "Standing", "price": 3000, "capacity": 100}])
        type_id = sch["ticketTypes"][0]["id"]
        tokens = self.users(1000, "so-ga")
        replies = race(lambda tok: self.lb_client(tok).post(
            "/v1/reservations", {"scheduleId": sch["id"], "ticketTypeId": type_id,
                                 "quantity": 1}),
            [(tok,) for tok in tokens], workers=WORKERS)
        statuses = self.sale_statuses(replies, "SOLD_OUT")
        # A sold-out answer means every unit was taken, each by a 201.
        self.assertEqual(statuses[201], 100 if statuses[409] else statuses[201],
                         "%s\n%s" % (statuses, self.logs()))
        self.assertLessEqual(statuses[201], 100)
        for s in self.instances:
            r = s.client().get("/v1/schedules/" + sch["id"])
            self.assertEqual(r.json["ticketTypes"][0]["available"], 100 - statuses[201])

    def test_overlapping_multi_seat_holds_never_share_a_seat(self):
        sch, seats = self.seated(20)
        rng = random.Random(7)
        asks = [rng.sample(seats, rng.randint(2, 4)) for _ in range(300)]
        tokens = self.users(len(asks), "so-multi")
        replies = race(lambda i, tok, ask: self.spread(i, tok).post(
            "/v1/reservations", {"scheduleId": sch["id"], "seatIds": ask}),
            [(i, tok, ask) for i, (tok, ask) in enumerate(zip(tokens, asks))], workers=WORKERS)
        self.sale_statuses(replies, "SEAT_UNAVAILABLE")
        # The seats of the holds still held. A hold of HOLD_SECONDS may expire while a slow
        # (sanitizer) build still races, and its seats may then be held again by a later
        # request; no seat is ever in two holds at once.
        granted = []
        for i, (tok, ask, r) in enumerate(zip(tokens, asks, replies)):
            if r.status == 201:
                self.assertEqual(sorted(r.json["seatIds"]), sorted(ask))
                now = self.spread(i, tok).get("/v1/reservations/" + r.json["id"]).json["status"]
                self.assertIn(now, ("HELD", "EXPIRED"))
                if now == "HELD":
                    granted += ask
        self.assertEqual(len(granted), len(set(granted)), "a seat in two holds")
        self.assertEqual(self.held_seats_everywhere(sch["id"]), set(granted))

    # ---- one buyer, several instances ---------------------------------------------------------

    def test_hold_on_one_instance_pay_on_another(self):
        sch, seats = self.seated(3)
        _, token = self.minted_user("so-pay")
        a, b, c = (s.client(token) for s in self.instances)
        hold = a.post("/v1/reservations", {"scheduleId": sch["id"], "seatIds": seats[:2]})
        self.assertStatus(hold, 201)
        charge = b.post("/v1/wallet/charges", {"amount": hold.json["amount"]},
                        idempotency_key=new_key())
        self.assertStatus(charge, 201)
        key = new_key()
        pay = c.post("/v1/payments", {"reservationId": hold.json["id"], "method": "POINTS"},
                     idempotency_key=key)
        self.assertStatus(pay, 201)
        self.assertEqual(len(pay.json["tickets"]), 2)
        # The same key replayed on another instance answers the same payment, once.
        again = a.post("/v1/payments", {"reservationId": hold.json["id"], "method": "POINTS"},
                       idempotency_key=key)
        self.assertStatus(again, 201)
        self.assertEqual(again.json["id"], pay.json["id"])
        self.assertEqual(b.get("/v1/reservations/" + hold.json["id"]).json["status"], "PAID")
        self.assertEqual(len(self.list_all(a, "/v1/tickets")), 2)
        self.assertEqual(c.get("/v1/wallet").json["balance"], 0)

    def test_holds_expire_once_whichever_instance_sweeps(self):
        sch, seats = self.seated(12)
        tokens = self.users(12, "so-exp")
        holds = []
        for i, (tok, seat) in enumerate(zip(tokens, seats)):
            r = self.spread(i, tok).post("/v1/reservations",
                                         {"scheduleId": sch["id"], "seatIds": [seat]})
            self.assertStatus(r, 201)
            holds.append((tok, r.json["id"]))

        def all_expired():
            return all(self.spread(i + 1, tok).get("/v1/reservations/" + rid).json["status"]
                       == "EXPIRED" for i, (tok, rid) in enumerate(holds))

        poll(all_expired, HOLD_SECONDS + RECOVERY_TIMEOUT_S)

        def expired_events():
            return collections.Counter(e["id"] for e in self.outbox_events("reservation.expired"))

        # Shown EXPIRED once due; swept (with its event) by whichever instance gets there first.
        poll(lambda: all(expired_events()[rid] >= 1 for _, rid in holds), RECOVERY_TIMEOUT_S)
        time.sleep(SWEEPS_S)  # every instance sweeps again meanwhile
        events = expired_events()
        for _, rid in holds:
            self.assertEqual(events[rid], 1, "reservation.expired events of %s" % rid)
        self.assertEqual(self.held_seats_everywhere(sch["id"]), set())

    # ---- failures -------------------------------------------------------------------------------

    def test_kill_9_of_an_instance_mid_race(self):
        concert = self.create_concert()
        sch = self.create_schedule(concert["id"], ticket_types=[
            {"name": "Floor", "price": 1000, "capacity": 150}])
        type_id = sch["ticketTypes"][0]["id"]
        victim = self.others[0]
        tokens = self.users(600, "so-kill")
        started = threading.Event()

        def buy(i, tok):
            if i == 100:
                started.set()
            return self.lb_client(tok).post(
                "/v1/reservations",
                {"scheduleId": sch["id"], "ticketTypeId": type_id, "quantity": 1})

        killer = threading.Thread(target=lambda: (started.wait(60), victim.kill()))
        killer.start()
        replies = run_parallel(buy, list(enumerate(tokens)), workers=32)
        killer.join()
        statuses = collections.Counter(r.status for r in replies)
        granted = statuses[201]
        self.assertLessEqual(granted, 150, statuses)
        # Requests caught on the killed instance fail (the proxy does not replay them); every
        # other answer is a sale or sold out.
        self.assertLessEqual(set(statuses), {201, 409, 502, 503, 504}, statuses)
        self.assertLess(statuses[502] + statuses[503] + statuses[504], 100, statuses)
        available = self.server.client().get("/v1/schedules/" + sch["id"]).json[
            "ticketTypes"][0]["available"]
        # Requests that died with the instance may have committed: never more than capacity.
        self.assertGreaterEqual(150 - available, granted)
        # The others keep answering through the proxy.
        for tok in self.users(30, "so-after"):
            r = self.lb_client(tok).get("/v1/schedules/" + sch["id"])
            self.assertStatus(r, 200)
        # The restarted instance rejoins on its port and sees the same data.
        victim.start()
        r = victim.client().get("/v1/schedules/" + sch["id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.json["ticketTypes"][0]["available"], available)
        poll(lambda: all(self.lb_anon.get("/healthz").status == 200 for _ in range(6)),
             RECOVERY_TIMEOUT_S)

    def test_database_restart_gives_clean_503s_then_recovers(self):
        sch, seats = self.seated(40)
        tokens = self.users(40, "so-db")
        self.pg.halt()
        try:
            for i, tok in enumerate(tokens[:6]):
                r = self.spread(i, tok).post("/v1/reservations",
                                             {"scheduleId": sch["id"], "seatIds": [seats[i]]})
                self.assertProblem(r, 503, "UNAVAILABLE")
            for s in self.instances:
                self.assertStatus(s.client().get("/readyz"), 503)
                self.assertStatus(s.client().get("/healthz"), 200)
        finally:
            self.pg.resume()

        def ready_everywhere():
            return all(s.client().get("/readyz").status == 200 for s in self.instances)

        poll(ready_everywhere, RECOVERY_TIMEOUT_S)
        # Every instance sells again, with no restart of boxoffice: its writers find their
        # connections stale and replace them. A writer whose last attempt to connect failed
        # while the database was away waits out its backoff (at most 500 ms) first, answering
        # a clean 503 that keeps nothing meanwhile.
        for i, tok in enumerate(tokens[6:], start=6):
            def sell(i=i, tok=tok):
                r = self.spread(i, tok).post("/v1/reservations",
                                             {"scheduleId": sch["id"], "seatIds": [seats[i]]})
                if r.status == 503:
                    self.assertProblem(r, 503, "UNAVAILABLE")
                    return None
                return r
            r = poll(sell, WRITER_BACKOFF_S, 0.05)
            self.assertIsNotNone(r, "instance %d still refuses writes" % (i % len(self.instances)))
            self.assertStatus(r, 201)
        # The failed attempts changed nothing.
        self.assertEqual(self.held_seats_everywhere(sch["id"]), set(seats[6:]))

    def test_per_address_limits_count_the_client_named_by_the_proxy(self):
        # The instances trust the proxy's address (127.0.0.1), so the address they limit is the
        # client the proxy names in X-Forwarded-For. Limits are counted per instance, so this
        # talks to one instance as the proxy would. Every process here is on loopback; the unit
        # tests show that an untrusted peer cannot name another address.
        concert = self.create_concert()
        r = self.admin.put("/v1/admin/concerts/%s/waiting-room" % concert["id"],
                           {"enabled": True, "admitPerSecond": 1, "maxActive": 1,
                            "activeTtlSeconds": 60})
        self.assertStatus(r, 200)

        def join(address):
            _, token = self.minted_user("so-xff")
            return self.server.client(token).post(
                "/v1/queue/tokens", {"concertId": concert["id"]},
                headers={"X-Forwarded-For": address})

        statuses = [join("203.0.113.5").status for _ in range(JOINS_PER_ADDRESS + 1)]
        self.assertEqual(statuses, [201] * JOINS_PER_ADDRESS + [429])
        self.assertStatus(join("203.0.113.6"), 201)

if __name__ == "__main__":
    unittest.main()

"""The waiting room on Redis (`serve --redis`) with two instances sharing one real
redis-server started by the test: one line across both, admission in arrival order, never
more than maxActive ACTIVE, one place per user under concurrent joins on both instances, the
pre-queue shuffled once, the gate and payment on one instance seen from the other, live events
on one instance of changes made on the other, and rooms restored after Redis loses its data.

Each instance has its own embedded store; the concert and its schedules live in instance A's,
and the room in Redis, so B serves the queue of a concert it has never heard of."""

import http.client
import json
import threading
import time
import unittest

from harness import Server, new_key, poll, race
from services import RedisServer
from test_waiting_room import SETTLE_S, WaitingRoomCase, metric_value, rfc3339


class RedisWaitingRoomTest(WaitingRoomCase):

    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer()
        cls.addClassCleanup(cls.redis.stop)
        cls.redis.start()
        cls.extra_args = ("--redis", cls.redis.url(),
                          "--queue-joins-per-address-per-minute", "100000")
        super().setUpClass()  # instance A: cls.server
        cls.server_b = Server(extra_args=cls.extra_args)
        cls.server_b.secret = cls.server.secret  # tokens of A are good on B
        cls.addClassCleanup(cls.server_b.remove)
        cls.server_b.start()

    @classmethod
    def tearDownClass(cls):
        code = cls.server_b.stop()
        if code != 0:
            raise AssertionError("instance B exited with %s after SIGTERM:\n%s"
                                 % (code, cls.server_b.log_tail()))
        super().tearDownClass()

    def pair(self, prefix="wr2"):
        """One buyer, as a client of A and a client of B."""
        _, token = self.minted_user(prefix)
        return self.server.client(token), self.server_b.client(token)

    def test_both_instances_serve_from_redis(self):
        self.assertIn("waiting room: redis://", self.server.log_text())
        self.assertIn("waiting room: redis://", self.server_b.log_text())
        concert_id, _ = self.blocked_room()
        for _ in range(3):
            self.join(self.pair()[0], concert_id, expect=201)
        # Both read the gauges of the one waiting room (nothing else moves meanwhile).
        gauges = []
        for client in (self.anon, self.server_b.client()):
            text = client.get("/metrics").raw.decode()
            gauges.append((metric_value(text, "boxoffice_queue_waiting"),
                           metric_value(text, "boxoffice_queue_active")))
        self.assertEqual(gauges[0], gauges[1])
        self.assertGreaterEqual(gauges[0][0], 3)
        self.assertGreaterEqual(gauges[0][1], 1)

    def test_sequential_arrivals_on_both_instances_form_one_line(self):
        concert_id, _ = self.blocked_room()
        for i in range(1, 9):
            on_a, on_b = self.pair()
            t = self.join(on_b if i % 2 else on_a, concert_id, expect=201)
            self.assertEqual(t["position"], i)
            # The same place, asked of the other instance.
            again = self.join(on_a if i % 2 else on_b, concert_id, expect=200)
            self.assertEqual((again["token"], again["position"]), (t["token"], i))

    def test_admission_follows_arrival_order_and_never_exceeds_max_active(self):
        max_active = 2
        concert_id, blockers = self.blocked_room(max_active=max_active, admit_per_second=5)
        waiting = []
        for i in range(8):
            on_a, on_b = self.pair()
            token = self.join(on_a if i % 2 else on_b, concert_id, expect=201)["token"]
            waiting.append(((on_a, on_b), token))
        for user, token in blockers:
            self.leave(user, token)
        admitted = 0
        deadline = time.monotonic() + 120
        rounds = 0
        while admitted < len(waiting):
            self.assertLess(time.monotonic(), deadline, "admission stalled")
            rounds += 1
            statuses = [None] * len(waiting)
            for i in reversed(range(len(waiting))):  # see test_waiting_room
                clients, token = waiting[i]
                statuses[i] = self.status(clients[(i + rounds) % 2], token)["status"]
            done = [s != "WAITING" for s in statuses]
            self.assertEqual(done, sorted(done, reverse=True),
                             "admitted out of arrival order: %r" % statuses)
            self.assertLessEqual(statuses.count("ACTIVE"), max_active, repr(statuses))
            admitted = done.count(True)
            for i, s in enumerate(statuses):
                if s == "ACTIVE":
                    clients, token = waiting[i]
                    self.leave(clients[(i + rounds + 1) % 2], token)
            time.sleep(0.05)

    def test_400_concurrent_joins_by_40_users_on_two_instances_give_40_places(self):
        concert_id, _ = self.blocked_room()
        users = [self.pair("racer") for _ in range(40)]
        results = race(lambda c: c.post("/v1/queue/tokens", {"concertId": concert_id}),
                       [(users[i % 40][(i // 40) % 2],) for i in range(400)], workers=100)
        self.assertTrue(all(r.status in (200, 201) for r in results),
                        repr([r for r in results if r.status not in (200, 201)][:3]))
        self.assertEqual(sum(r.status == 201 for r in results), 40)
        tokens_of = {}
        for i, r in enumerate(results):
            tokens_of.setdefault(i % 40, set()).add(r.json["token"])
        self.assertTrue(all(len(t) == 1 for t in tokens_of.values()), repr(tokens_of))
        positions = sorted(self.status(users[u][u % 2], next(iter(tokens_of[u])))["position"]
                           for u in range(40))
        self.assertEqual(positions, list(range(1, 41)))

    def test_pre_queue_is_shuffled_once_for_both_instances(self):
        concert_id, _ = self.blocked_room()
        opens_at = time.time() + 4
        self.configure(concert_id, admit_per_second=50, max_active=1, opens_at=rfc3339(opens_at))
        early = []
        for i in range(1, 13):
            on_a, on_b = self.pair("early")
            t = self.join(on_a if i % 2 else on_b, concert_id, expect=201)
            if time.time() >= opens_at - 0.5:
                self.skipTest("the machine is too slow to join 12 buyers in 3.5 s")
            self.assertTrue(t["preQueue"])
            self.assertEqual(t["position"], i)
            early.append(((on_a, on_b), t["token"]))

        def opened():
            return not self.status(early[0][0][1], early[0][1])["preQueue"]

        self.assertTrue(poll(opened, SETTLE_S + 4), "the sale never opened")
        on_a = [self.status(c[0], token)["position"] for c, token in early]
        on_b = [self.status(c[1], token)["position"] for c, token in early]
        self.assertEqual(on_a, on_b, "the instances disagree on the draw")
        self.assertEqual(sorted(on_a), list(range(1, 13)), "not a permutation")
        self.assertNotEqual(on_a, list(range(1, 13)), "kept the arrival order")
        time.sleep(0.5)
        self.assertEqual([self.status(c[1], token)["position"] for c, token in early], on_a)

    def test_gate_and_payment_on_one_instance_are_seen_on_the_other(self):
        concert = self.create_concert()
        schedule = self.create_schedule(
            concert["id"], seat_rows={"sections": ["A"], "rows": 1, "perRow": 2, "grade": "R",
                                      "price": 10000})
        seat = self.seat_map(schedule["id"])[0]["id"]
        self.configure(concert["id"], admit_per_second=50, max_active=1)
        a, a_on_b = self.pair("alice")
        b, b_on_b = self.pair("bob")
        a_token = self.join(a_on_b, concert["id"], expect=201)["token"]  # joined on B
        self.wait_status(a, a_token, "ACTIVE")
        b_token = self.join(b, concert["id"], expect=201)["token"]
        hold = {"scheduleId": schedule["id"], "seatIds": [seat]}
        self.assertProblem(b.post("/v1/reservations", hold), 403, "QUEUE_TOKEN_REQUIRED")
        self.assertProblem(b.post("/v1/reservations", hold, headers={"Queue-Token": b_token}),
                           403, "QUEUE_TOKEN_NOT_ACTIVE")
        self.assertProblem(b.post("/v1/reservations", hold, headers={"Queue-Token": a_token}),
                           403, "QUEUE_TOKEN_NOT_ACTIVE")
        r = a.post("/v1/reservations", hold, headers={"Queue-Token": a_token})
        self.assertStatus(r, 201)
        self.charge(a.token, 50000)
        r = a.post("/v1/payments", {"reservationId": r.json["id"], "method": "POINTS"},
                   idempotency_key=new_key(), headers={"Queue-Token": a_token})
        self.assertStatus(r, 201)
        self.assertEqual(self.status(a_on_b, a_token)["status"], "EXPIRED")
        self.wait_status(b_on_b, b_token, "ACTIVE")

    def test_events_on_one_instance_follow_changes_made_on_the_other(self):
        concert_id, blockers = self.blocked_room()
        me, me_on_b = self.pair()
        token = self.join(me, concert_id, expect=201)["token"]
        conn, resp = self.open_events(self.server_b, token, me)
        events = []
        done = threading.Event()

        def read():
            try:
                while True:
                    line = resp.readline()
                    if not line:
                        break
                    if line.startswith(b"data: "):
                        events.append(json.loads(line[len(b"data: "):]))
            finally:
                done.set()

        threading.Thread(target=read, daemon=True).start()
        self.assertTrue(poll(lambda: events, SETTLE_S))
        self.assertEqual((events[0]["status"], events[0]["position"]), ("WAITING", 1))
        self.leave(*blockers[0])  # on A
        self.assertTrue(poll(lambda: any(e["status"] == "ACTIVE" for e in events), SETTLE_S),
                        repr(events))
        self.leave(me, token)  # on A
        self.assertTrue(done.wait(SETTLE_S), "the stream did not end after the token did")
        conn.close()
        self.assertEqual(events[-1]["status"], "EXPIRED")

    def test_rooms_come_back_when_redis_loses_its_data(self):
        concert_id, _ = self.blocked_room()
        schedule = self.create_schedule(
            concert_id, seat_rows={"sections": ["A"], "rows": 1, "perRow": 1, "grade": "R",
                                   "price": 10000})
        seat = self.seat_map(schedule["id"])[0]["id"]
        me, me_on_b = self.pair()
        token = self.join(me, concert_id, expect=201)["token"]
        self.assertEqual(self.redis.command("FLUSHALL"), "+OK")
        # The next admission round of either instance configures the room again.
        joined = {}

        def restored():
            r = me_on_b.post("/v1/queue/tokens", {"concertId": concert_id})
            joined["r"] = r
            return r.status == 201

        self.assertTrue(poll(restored, SETTLE_S),
                        "the room was not restored: %r\nA:\n%s\nB:\n%s"
                        % (joined.get("r"), self.server.log_tail(), self.server_b.log_tail()))
        self.assertNotEqual(joined["r"].json["token"], token, "the lost token came back")
        self.assertEqual(joined["r"].json["position"], 1)
        self.assertProblem(me_on_b.get("/v1/queue/tokens/" + token), 404, "NOT_FOUND")
        # The gate stayed on.
        self.assertProblem(
            me.post("/v1/reservations", {"scheduleId": schedule["id"], "seatIds": [seat]}),
            403, "QUEUE_TOKEN_REQUIRED")

if __name__ == "__main__":
    unittest.main()

"""The virtual waiting room over real HTTP: an admin turns a concert's room on, buyers join and
get places in arrival order, admission follows that order and never passes maxActive, one
user holds one place however many times they ask, the gate refuses reservations and payments
without an ACTIVE token of the buyer, a payment ends the token, a pre-queue is shuffled once
when the sale opens, a stream of events follows a token live, and token requests are rate
limited.

Nothing here times the server: the tests hold the room still where an order must be read
(a "blocker" keeps the only ACTIVE slot), poll with generous timeouts, and assert orders and
counts."""

import datetime
import http.client
import json
import threading
import time
import unittest

from harness import ServerTestCase, metric_value, new_key, parse_time, poll, race

SETTLE_S = 30  # bound for an admission round (every 100 ms) to have happened
LONG_TTL_S = 600


def rfc3339(seconds):
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).isoformat().replace(
        "+00:00", "Z")


class WaitingRoomCase(ServerTestCase):
    """Helpers over one server (the Redis module runs them over two)."""

    def open_events(self, server, token, user):
        """Opens the token's event stream on `server` as `user`; returns (connection,
        response) after checking the answer is 200."""
        conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
        conn.request("GET", "/v1/queue/tokens/%s/events" % token,
                     headers={"Authorization": "Bearer " + user.token})
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        return conn, resp

    def configure(self, concert_id, admit_per_second=50, max_active=1, ttl=LONG_TTL_S,
                  opens_at=None, enabled=True, admin=None):
        body = {"enabled": enabled, "admitPerSecond": admit_per_second,
                "maxActive": max_active, "activeTtlSeconds": ttl}
        if opens_at is not None:
            body["opensAt"] = opens_at
        r = (admin or self.admin).put("/v1/admin/concerts/%s/waiting-room" % concert_id, body)
        self.assertStatus(r, 200)
        return r.json

    def join(self, client, concert_id, expect=None):
        r = client.post("/v1/queue/tokens", {"concertId": concert_id})
        if expect is not None:
            self.assertStatus(r, expect)
        else:
            self.assertIn(r.status, (200, 201), repr(r))
        return r.json

    def status(self, client, token):
        r = client.get("/v1/queue/tokens/" + token)
        self.assertStatus(r, 200)
        return r.json

    def wait_status(self, client, token, wanted, timeout_s=SETTLE_S):
        last = {}

        def check():
            last["t"] = self.status(client, token)
            return last["t"]["status"] == wanted

        self.assertTrue(poll(check, timeout_s, 0.05),
                        "token never became %s: %r" % (wanted, last.get("t")))
        return last["t"]

    def buyer(self, prefix="wr"):
        user_id, token = self.minted_user(prefix)
        return user_id, self.user_client(token)

    def blocked_room(self, max_active=1, admit_per_second=50):
        """A concert whose room is full: `max_active` blockers hold every slot (for 600 s), so
        nobody else is admitted until one of them leaves. Returns (concert_id, blockers) with
        blockers a list of (client, token)."""
        concert = self.create_concert()
        self.configure(concert["id"], admit_per_second=admit_per_second, max_active=max_active)
        blockers = []
        for _ in range(max_active):
            _, client = self.buyer("blocker")
            blockers.append((client, self.join(client, concert["id"], expect=201)["token"]))
        for client, token in blockers:
            self.wait_status(client, token, "ACTIVE")
        return concert["id"], blockers

    def leave(self, client, token):
        r = client.delete("/v1/queue/tokens/" + token)
        self.assertStatus(r, 200)
        self.assertEqual(r.json["status"], "EXPIRED")
        return r.json


class WaitingRoomTest(WaitingRoomCase):
    extra_args = ("--queue-joins-per-address-per-minute", "100000")

    # ---- settings --------------------------------------------------------------------------

    def test_admin_turns_the_room_on_and_bad_settings_change_nothing(self):
        concert = self.create_concert()
        path = "/v1/admin/concerts/%s/waiting-room" % concert["id"]
        _, user = self.buyer()
        # Off until an admin turns it on.
        r = user.post("/v1/queue/tokens", {"concertId": concert["id"]})
        self.assertProblem(r, 409, "INVALID_STATE")

        good = {"enabled": True, "admitPerSecond": 220, "maxActive": 2000,
                "activeTtlSeconds": 300}
        for field, value in [("enabled", "yes"), ("enabled", None), ("admitPerSecond", 0),
                             ("admitPerSecond", 100001), ("admitPerSecond", 1.5),
                             ("maxActive", 0), ("maxActive", "10"), ("activeTtlSeconds", 0),
                             ("activeTtlSeconds", 86401), ("opensAt", "tomorrow"),
                             ("opensAt", rfc3339(time.time() + 400 * 86400))]:
            body = dict(good)
            if value is None:
                del body[field]
            else:
                body[field] = value
            self.assertProblem(self.admin.put(path, body), 400, "INVALID_REQUEST", field=field,
                               msg="%s=%r" % (field, value))
        self.assertProblem(self.admin.put(path, "{"), 400, "INVALID_REQUEST")
        self.assertProblem(user.put(path, good), 403, "FORBIDDEN")
        self.assertProblem(self.anon.put(path, good, auth=False), 401, "UNAUTHENTICATED")
        self.assertProblem(self.admin.put("/v1/admin/concerts/con_nope/waiting-room", good), 404,
                           "NOT_FOUND")
        # None of those turned it on.
        self.assertProblem(user.post("/v1/queue/tokens", {"concertId": concert["id"]}), 409,
                           "INVALID_STATE")

        r = self.admin.put(path, good)
        self.assertStatus(r, 200)
        self.assertEqual(r.json, {"concertId": concert["id"], "enabled": True,
                                  "admitPerSecond": 220, "maxActive": 2000,
                                  "activeTtlSeconds": 300, "opensAt": None})
        opens = rfc3339(int(time.time()) + 3600)
        r = self.admin.put(path, dict(good, opensAt=opens))
        self.assertStatus(r, 200)
        self.assertEqual(parse_time(r.json["opensAt"]), parse_time(opens))
        self.assertEqual(self.join(user, concert["id"], expect=201)["concertId"], concert["id"])

    def test_join_refuses_bad_bodies_and_unknown_concerts(self):
        _, user = self.buyer()
        self.assertProblem(user.post("/v1/queue/tokens", {}), 400, "INVALID_REQUEST",
                           field="concertId")
        self.assertProblem(user.post("/v1/queue/tokens", {"concertId": 7}), 400,
                           "INVALID_REQUEST", field="concertId")
        self.assertProblem(user.post("/v1/queue/tokens", {"concertId": "con_nope"}), 404,
                           "NOT_FOUND")
        self.assertProblem(self.anon.post("/v1/queue/tokens", {"concertId": "x"}, auth=False),
                           401, "UNAUTHENTICATED")

    # ---- places and admission --------------------------------------------------------------

    def test_sequential_arrivals_get_positions_in_arrival_order(self):
        concert_id, _ = self.blocked_room()
        tokens = []
        for i in range(1, 8):
            _, user = self.buyer()
            t = self.join(user, concert_id, expect=201)
            self.assertEqual(t["status"], "WAITING")
            self.assertEqual(t["position"], i)
            self.assertIsNone(t["expiresAt"])
            self.assertIsInstance(t["etaSeconds"], int)
            self.assertGreater(t["etaSeconds"], 0)
            self.assertFalse(t["preQueue"])
            self.assertEqual(set(t), {"token", "concertId", "status", "position", "etaSeconds",
                                      "expiresAt", "preQueue"})
            tokens.append((user, t))
            # Asking again gives the same token and place.
            again = self.join(user, concert_id, expect=200)
            self.assertEqual(again["token"], t["token"])
            self.assertEqual(again["position"], i)
        for i, (user, t) in enumerate(tokens, 1):
            self.assertEqual(self.status(user, t["token"])["position"], i)
        # Places further back wait at least as long.
        etas = [self.status(user, t["token"])["etaSeconds"] for user, t in tokens]
        self.assertEqual(etas, sorted(etas))

    def test_admission_follows_arrival_order_and_never_exceeds_max_active(self):
        max_active = 2
        concert_id, blockers = self.blocked_room(max_active=max_active, admit_per_second=5)
        waiting = []
        for _ in range(8):
            _, user = self.buyer()
            waiting.append((user, self.join(user, concert_id, expect=201)["token"]))
        everyone = blockers + waiting
        for user, token in blockers:
            self.leave(user, token)
        admitted = 0
        deadline = time.monotonic() + 120
        while admitted < len(waiting):
            self.assertLess(time.monotonic(), deadline, "admission stalled")
            # Read from the back: a token read ACTIVE implies every earlier one was admitted
            # before it, so the ones read after it must read admitted too. Only this test
            # frees slots, and never during a read, so counting ACTIVE over the reads cannot
            # overcount.
            statuses = [None] * len(waiting)
            for i in reversed(range(len(waiting))):
                user, token = waiting[i]
                statuses[i] = self.status(user, token)["status"]
            done = [s != "WAITING" for s in statuses]
            self.assertEqual(done, sorted(done, reverse=True),
                             "admitted out of arrival order: %r" % statuses)
            self.assertLessEqual(statuses.count("ACTIVE"), max_active, repr(statuses))
            admitted = done.count(True)
            # Free the slots of those admitted, oldest first.
            for i, s in enumerate(statuses):
                if s == "ACTIVE":
                    self.leave(*waiting[i])
            time.sleep(0.05)
        for user, token in everyone:
            self.assertEqual(self.status(user, token)["status"], "EXPIRED")

    def test_400_concurrent_joins_by_40_users_give_40_places(self):
        concert_id, _ = self.blocked_room()
        users = [self.buyer("racer")[1] for _ in range(40)]
        results = race(lambda c: c.post("/v1/queue/tokens", {"concertId": concert_id}),
                       [(users[i % 40],) for i in range(400)], workers=100)
        self.assertTrue(all(r.status in (200, 201) for r in results),
                        repr([r for r in results if r.status not in (200, 201)][:3]))
        self.assertEqual(sum(r.status == 201 for r in results), 40)
        # Every ask of a user got the user's one token.
        tokens_of = {}
        for i, r in enumerate(results):
            tokens_of.setdefault(i % 40, set()).add(r.json["token"])
        self.assertTrue(all(len(t) == 1 for t in tokens_of.values()), repr(tokens_of))
        tokens = [next(iter(tokens_of[u])) for u in range(40)]
        self.assertEqual(len(set(tokens)), 40)
        positions = sorted(self.status(users[u], tokens[u])["position"] for u in range(40))
        self.assertEqual(positions, list(range(1, 41)))
        stats = self.anon.get("/metrics").raw.decode()
        self.assertGreaterEqual(metric_value(stats, "boxoffice_queue_waiting"), 40)

    def test_pre_queue_is_shuffled_once_when_the_sale_opens(self):
        concert_id, _ = self.blocked_room()
        opens_at = time.time() + 4
        self.configure(concert_id, admit_per_second=50, max_active=1, opens_at=rfc3339(opens_at))
        early = []
        for i in range(1, 13):
            _, user = self.buyer("early")
            t = self.join(user, concert_id, expect=201)
            if time.time() >= opens_at - 0.5:
                self.skipTest("the machine is too slow to join 12 buyers in 3.5 s")
            self.assertTrue(t["preQueue"])
            self.assertEqual(t["position"], i)  # the pre-queue's size: the last place it can draw
            self.assertGreaterEqual(t["etaSeconds"], 1)
            early.append((user, t["token"]))

        def opened():
            return not self.status(*early[0])["preQueue"]

        self.assertTrue(poll(opened, SETTLE_S + 4), "the sale never opened")
        positions = [self.status(user, token)["position"] for user, token in early]
        self.assertEqual(sorted(positions), list(range(1, 13)), "not a permutation")
        self.assertNotEqual(positions, list(range(1, 13)), "kept the arrival order")
        _, late = self.buyer("late")
        self.assertEqual(self.join(late, concert_id, expect=201)["position"], 13)
        time.sleep(0.5)  # several admission rounds later, the draw stands
        self.assertEqual([self.status(user, token)["position"] for user, token in early],
                         positions)

    # ---- the gate --------------------------------------------------------------------------

    def _sale(self, seats=4, price=10000):
        concert = self.create_concert()
        schedule = self.create_schedule(
            concert["id"], seat_rows={"sections": ["A"], "rows": 1, "perRow": seats,
                                      "grade": "R", "price": price})
        return concert["id"], schedule["id"], [s["id"] for s in self.seat_map(schedule["id"])]

    def test_gate_refuses_missing_waiting_and_others_tokens_and_payment_ends_the_token(self):
        concert_id, schedule_id, seats = self._sale()
        # Off: no token needed.
        _, free = self.buyer()
        r = free.post("/v1/reservations", {"scheduleId": schedule_id, "seatIds": [seats[3]]})
        self.assertStatus(r, 201)
        self.assertStatus(free.delete("/v1/reservations/" + r.json["id"]), 200)

        self.configure(concert_id, admit_per_second=50, max_active=1)
        a_id, a = self.buyer("alice")
        b_id, b = self.buyer("bob")
        a_token = self.join(a, concert_id, expect=201)["token"]
        active = self.wait_status(a, a_token, "ACTIVE")
        b_token = self.join(b, concert_id, expect=201)["token"]
        self.assertEqual(self.status(b, b_token)["status"], "WAITING")
        hold = {"scheduleId": schedule_id, "seatIds": [seats[0]]}

        self.assertProblem(b.post("/v1/reservations", hold), 403, "QUEUE_TOKEN_REQUIRED")
        self.assertProblem(b.post("/v1/reservations", hold, headers={"Queue-Token": b_token}),
                           403, "QUEUE_TOKEN_NOT_ACTIVE", msg="a WAITING token")
        self.assertProblem(b.post("/v1/reservations", hold, headers={"Queue-Token": a_token}),
                           403, "QUEUE_TOKEN_NOT_ACTIVE", msg="another user's token")
        self.assertProblem(b.post("/v1/reservations", hold, headers={"Queue-Token": "qt_x"}),
                           403, "QUEUE_TOKEN_NOT_ACTIVE", msg="an unknown token")
        self.assertEqual(self.seat_statuses(schedule_id)[seats[0]], "AVAILABLE",
                         "a refused hold took its seat")
        # Another user's token is not even readable.
        self.assertProblem(b.get("/v1/queue/tokens/" + a_token), 404, "NOT_FOUND")
        self.assertProblem(b.get("/v1/queue/tokens/" + a_token + "/events"), 404, "NOT_FOUND")

        time.sleep(0.01)
        r = a.post("/v1/reservations", hold, headers={"Queue-Token": a_token})
        self.assertStatus(r, 201)
        reservation = r.json
        extended = self.status(a, a_token)
        self.assertEqual(extended["status"], "ACTIVE")
        self.assertGreater(parse_time(extended["expiresAt"]), parse_time(active["expiresAt"]),
                           "a gated request extends the token")

        self.charge(a.token, 50000)
        pay = {"reservationId": reservation["id"], "method": "POINTS"}
        self.assertProblem(a.post("/v1/payments", pay, idempotency_key=new_key()), 403,
                           "QUEUE_TOKEN_REQUIRED")
        key = new_key()
        r = a.post("/v1/payments", pay, idempotency_key=key, headers={"Queue-Token": a_token})
        self.assertStatus(r, 201)
        self.assertEqual(self.status(a, a_token)["status"], "EXPIRED", "payment ends the token")
        # The retry of the paid request replays its answer; nothing else passes any more.
        replay = a.post("/v1/payments", pay, idempotency_key=key, headers={"Queue-Token": a_token})
        self.assertStatus(replay, 201)
        self.assertEqual(replay.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(replay.raw, r.raw)
        self.assertProblem(
            a.post("/v1/reservations", {"scheduleId": schedule_id, "seatIds": [seats[1]]},
                   headers={"Queue-Token": a_token}), 403, "QUEUE_TOKEN_NOT_ACTIVE")

        # The freed slot goes to the next in line, who may now buy.
        self.wait_status(b, b_token, "ACTIVE")
        r = b.post("/v1/reservations", {"scheduleId": schedule_id, "seatIds": [seats[1]]},
                   headers={"Queue-Token": b_token})
        self.assertStatus(r, 201)
        # Asking again after the token ended queues anew.
        again = self.join(a, concert_id, expect=201)
        self.assertNotEqual(again["token"], a_token)
        self.assertEqual(again["status"], "WAITING")

    def test_leaving_needs_an_active_token(self):
        concert_id, blockers = self.blocked_room()
        _, user = self.buyer()
        token = self.join(user, concert_id, expect=201)["token"]
        self.assertProblem(user.delete("/v1/queue/tokens/" + token), 409, "INVALID_STATE")
        self.assertProblem(user.delete("/v1/queue/tokens/" + blockers[0][1]), 404, "NOT_FOUND")
        self.assertProblem(user.delete("/v1/queue/tokens/qt_nope"), 404, "NOT_FOUND")
        self.leave(*blockers[0])
        self.wait_status(user, token, "ACTIVE")
        self.leave(user, token)
        self.leave(user, token)  # leaving twice answers the same

    # ---- live events -----------------------------------------------------------------------

    def test_event_stream_follows_a_token_until_it_ends(self):
        concert_id, blockers = self.blocked_room()
        _, first = self.buyer()
        first_token = self.join(first, concert_id, expect=201)["token"]
        me_id, me = self.buyer()
        my_token = self.join(me, concert_id, expect=201)["token"]

        conn, resp = self.open_events(self.server, my_token, me)
        self.assertTrue(resp.getheader("Content-Type").startswith("text/event-stream"))
        events = []
        done = threading.Event()

        def read():
            try:
                event = {}
                while True:
                    line = resp.readline()
                    if not line:
                        break
                    line = line.decode().rstrip("\n")
                    if line.startswith("data: "):
                        event = json.loads(line[len("data: "):])
                    elif line == "" and event:
                        events.append(event)
                        event = {}
            finally:
                done.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()

        def states():
            return [(e["status"], e["position"]) for e in events]

        def seen(state):
            return poll(lambda: state in states(), SETTLE_S)

        self.assertTrue(seen(("WAITING", 2)), repr(events))
        self.leave(*blockers[0])
        self.assertTrue(seen(("WAITING", 1)), repr(events))
        self.wait_status(first, first_token, "ACTIVE")
        self.leave(first, first_token)
        self.assertTrue(seen(("ACTIVE", 0)), repr(events))
        self.leave(me, my_token)
        self.assertTrue(done.wait(SETTLE_S), "the stream did not end after the token did")
        conn.close()
        # In order, one distinct state after another, the last one EXPIRED.
        distinct = [s for i, s in enumerate(states()) if i == 0 or states()[i - 1] != s]
        self.assertEqual(distinct, [("WAITING", 2), ("WAITING", 1), ("ACTIVE", 0),
                                    ("EXPIRED", 0)])
        self.assertTrue(all(e["token"] == my_token for e in events))
        # An event is sent only when something changed.
        self.assertTrue(all(events[i] != events[i - 1] for i in range(1, len(events))))

    def test_a_server_with_open_streams_still_stops_on_sigterm(self):
        # The module's tearDown stops the server with SIGTERM and requires exit 0; leave a
        # stream open for it.
        concert_id, _ = self.blocked_room()
        _, me = self.buyer()
        token = self.join(me, concert_id, expect=201)["token"]
        conn, resp = self.open_events(self.server, token, me)
        self.assertTrue(resp.readline().startswith(b"event: token"))
        type(self)._open_stream = (conn, resp)  # closed by the server at tearDown

    # ---- metrics ---------------------------------------------------------------------------

    def test_metrics_count_the_room(self):
        concert_id, blockers = self.blocked_room()
        _, user = self.buyer()
        self.join(user, concert_id, expect=201)
        text = self.anon.get("/metrics").raw.decode()
        self.assertGreaterEqual(metric_value(text, "boxoffice_queue_waiting"), 1)
        self.assertGreaterEqual(metric_value(text, "boxoffice_queue_active"), 1)
        self.assertGreaterEqual(metric_value(text, "boxoffice_queue_admitted_total"), 1)
        self.assertGreaterEqual(metric_value(text, "boxoffice_queue_tokens_issued_total"), 2)
        self.assertGreaterEqual(metric_value(text, "boxoffice_queue_wait_seconds_count"), 1)
        self.assertRegex(text, r'(?m)^boxoffice_queue_wait_seconds_bucket\{le="\+Inf"\} [1-9]')


class WaitingRoomRateLimitTest(WaitingRoomCase):
    extra_args = ("--queue-joins-per-user-per-minute", "3",
                  "--queue-joins-per-address-per-minute", "5")

    def test_token_requests_are_rate_limited_per_user_and_per_address(self):
        concert = self.create_concert()
        self.configure(concert["id"], admit_per_second=1, max_active=1)
        _, a = self.buyer()
        first = self.join(a, concert["id"], expect=201)
        for _ in range(2):
            self.assertEqual(self.join(a, concert["id"], expect=200)["token"], first["token"])
        r = a.post("/v1/queue/tokens", {"concertId": concert["id"]})
        self.assertProblem(r, 429, "RATE_LIMITED")
        self.assertIn("user", r.json["detail"])
        self.assertGreaterEqual(int(r.headers.get("Retry-After")), 1)
        # Reading a token is not limited.
        for _ in range(5):
            self.assertStatus(a.get("/v1/queue/tokens/" + first["token"]), 200)

        # The address has 2 requests left (3 went to the first user).
        _, b = self.buyer()
        self.join(b, concert["id"], expect=201)
        self.join(b, concert["id"], expect=200)
        r = b.post("/v1/queue/tokens", {"concertId": concert["id"]})
        self.assertProblem(r, 429, "RATE_LIMITED")
        self.assertIn("address", r.json["detail"])
        self.assertGreaterEqual(int(r.headers.get("Retry-After")), 1)
        text = self.anon.get("/metrics").raw.decode()
        self.assertGreaterEqual(metric_value(text, "boxoffice_queue_rate_limited_total"), 2)


if __name__ == "__main__":
    unittest.main()

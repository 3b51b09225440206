"""Event delivery end to end: signed webhooks to a local receiver and the NATS JetStream stream,
with a real nats-server. Every outbox event reaches every matching receiver (at least once,
exactly once after deduplication by webhook-id), retried after a 500, stopped by a 410; a
kill -9 of the server loses none; a NATS outage never fails a sale and the stream catches up
with each event exactly once."""

import base64
import collections
import hashlib
import hmac
import http.server
import json
import threading
import time
import unittest

from harness import ServerTestCase, new_key, poll
from services import NatsServer

STREAM = "BOXOFFICE_EVENTS"
DELIVERY_WAIT_S = 60


class Receiver:
    """A local HTTP server that records every webhook request. The path picks the answer:
    /ok answers 204; /flaky answers 500 to the first delivery of each webhook-id, then 200;
    /gone answers 410."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = collections.defaultdict(list)  # path -> [(headers, body)]
        self.seen = collections.defaultdict(set)  # path -> webhook-ids answered once
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                path = self.path
                msg_id = self.headers.get("webhook-id")
                with receiver.lock:
                    receiver.requests[path].append((dict(self.headers.items()), body))
                    first = msg_id not in receiver.seen[path]
                    receiver.seen[path].add(msg_id)
                status = 204
                if path == "/gone":
                    status = 410
                elif path == "/flaky":
                    status = 500 if first else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def received(self, path):
        with self.lock:
            return list(self.requests[path])

    def events(self, path):
        """webhook-id -> envelope, over every request to `path` (deduplicated by id)."""
        return {h["webhook-id"]: json.loads(b) for h, b in self.received(path)}

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def verify(secret, headers, body):
    key = base64.b64decode(secret[len("whsec_"):])
    signed = ("%s.%s." % (headers["webhook-id"], headers["webhook-timestamp"])).encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, headers["webhook-signature"])


class EventsTest(ServerTestCase):
    hold_seconds = 2

    @classmethod
    def setUpClass(cls):
        cls.nats = NatsServer()
        cls.addClassCleanup(cls.nats.stop)
        cls.nats.start()
        cls.receiver = Receiver()
        cls.addClassCleanup(cls.receiver.close)
        cls.extra_args = ("--nats", cls.nats.url())
        super().setUpClass()
        cls.endpoints = {}
        for path, events in (("/ok", ["*"]), ("/flaky", ["payment.completed"]),
                             ("/gone", ["wallet.charged"])):
            r = cls.admin.post("/v1/admin/webhooks", {"url": cls.receiver.url(path),
                                                     "events": events})
            if r.status != 201:
                raise AssertionError("create webhook: %r" % r)
            cls.endpoints[path] = r.json

    def restart_clients(self):
        cls = type(self)
        cls.anon = self.server.client()
        cls.admin = self.server.client(self.admin_token)

    def stream(self):
        """Event id -> how many times the stream holds it, and id -> (subject, envelope)."""
        counts = collections.Counter()
        messages = {}
        for _, subject, headers, data in self.nats.stream_messages(STREAM):
            envelope = json.loads(data)
            self.assertEqual(headers.get("Nats-Msg-Id"), envelope["id"])
            counts[envelope["id"]] += 1
            messages[envelope["id"]] = (subject, envelope)
        return counts, messages

    def wait_for(self, path, ids):
        got = poll(lambda: set(ids) <= set(self.receiver.events(path)), DELIVERY_WAIT_S, 0.1)
        missing = set(ids) - set(self.receiver.events(path))
        self.assertTrue(got, "%s never received %s" % (path, sorted(missing)[:5]))

    def wait_for_stream(self, ids):
        def caught_up():
            counts, _ = self.stream()
            return set(ids) <= set(counts)
        self.assertTrue(poll(caught_up, DELIVERY_WAIT_S, 0.2), "the stream never caught up")

    def sell(self, tt, token):
        """charge, hold + pay, hold + cancel: returns the ids the events' data carry."""
        me = self.server.client(token)
        r = me.post("/v1/wallet/charges", {"amount": 100}, idempotency_key=new_key())
        self.assertStatus(r, 201)
        charge = r.json["transactionId"]
        r = me.post("/v1/reservations", {"scheduleId": self.schedule_id, "ticketTypeId": tt,
                                         "quantity": 1})
        self.assertStatus(r, 201)
        r = me.post("/v1/payments", {"reservationId": r.json["id"], "method": "POINTS"},
                    idempotency_key=new_key())
        self.assertStatus(r, 201)
        payment = r.json["id"]
        r = me.post("/v1/reservations", {"scheduleId": self.schedule_id, "ticketTypeId": tt,
                                         "quantity": 1})
        self.assertStatus(r, 201)
        cancelled = r.json["id"]
        r = me.delete("/v1/reservations/%s" % cancelled)
        self.assertIn(r.status, (200, 204), repr(r))
        return {"wallet.charged": charge, "payment.completed": payment,
                "reservation.cancelled": cancelled}

    def ga_type(self):
        concert = self.create_concert()
        sch = self.create_schedule(concert["id"], seats=[], ticket_types=[
            {"name": "GA", "price": 10, "capacity": 100000}])
        type(self).schedule_id = sch["id"]
        return sch["ticketTypes"][0]["id"]

    def data_ids(self, path, type_):
        return {e["data"]["id"] for e in self.receiver.events(path).values()
                if e["type"] == type_}

    # ---- tests ------------------------------------------------------------------------------

    def test_a_webhook_requests_are_validated(self):
        r = self.admin.post("/v1/admin/webhooks", {"url": "ftp://x", "events": ["*"]})
        self.assertProblem(r, 400, "INVALID_REQUEST", field="url")
        r = self.admin.post("/v1/admin/webhooks", {"url": "http://h/", "events": ["nope"]})
        self.assertProblem(r, 400, "INVALID_REQUEST", field="events")
        r = self.admin.post("/v1/admin/webhooks", {"url": "http://h/", "events": []})
        self.assertProblem(r, 400, "INVALID_REQUEST", field="events")
        r = self.admin.post("/v1/admin/webhooks", {"url": "http://h/", "events": ["*"],
                                                  "secret": "plain"})
        self.assertProblem(r, 400, "INVALID_REQUEST", field="secret")
        r = self.anon.post("/v1/admin/webhooks", {"url": "http://h/", "events": ["*"]})
        self.assertEqual(r.status, 401)
        secret = "whsec_" + base64.b64encode(b"s" * 32).decode()
        r = self.admin.post("/v1/admin/webhooks", {"url": "http://127.0.0.1:9/x",
                                                  "events": ["reservation.expired"],
                                                  "secret": secret})
        self.assertStatus(r, 201)
        self.assertEqual(r.json["secret"], secret)
        self.assertTrue(self.endpoints["/ok"]["secret"].startswith("whsec_"))
        ids = [w["id"] for w in self.admin.get("/v1/admin/webhooks").json["items"]]
        self.assertIn(r.json["id"], ids)
        self.assertStatus(self.admin.delete("/v1/admin/webhooks/" + r.json["id"]), 204)
        self.assertProblem(self.admin.delete("/v1/admin/webhooks/" + r.json["id"]), 404,
                           "NOT_FOUND")
        self.assertProblem(self.admin.get("/v1/admin/webhooks/nope/deliveries"), 404, "NOT_FOUND")

    def test_b_every_event_is_delivered_signed_retried_and_published_once(self):
        tt = self.ga_type()
        users = [self.minted_user("usr-ev") for _ in range(3)]
        expected = collections.defaultdict(set)
        for _, token in users:
            for type_, id_ in self.sell(tt, token).items():
                expected[type_].add(id_)
        # A hold left to expire (hold_seconds = 2).
        _, token = users[0]
        r = self.server.client(token).post("/v1/reservations", {
            "scheduleId": self.schedule_id, "ticketTypeId": tt, "quantity": 1})
        self.assertStatus(r, 201)
        expected["reservation.expired"].add(r.json["id"])

        def all_types_arrived():
            return all(ids <= self.data_ids("/ok", t) for t, ids in expected.items())
        self.assertTrue(poll(all_types_arrived, DELIVERY_WAIT_S, 0.1),
                        "not every event reached /ok")

        secret = self.endpoints["/ok"]["secret"]
        for headers, body in self.receiver.received("/ok"):
            self.assertTrue(verify(secret, headers, body), headers)
            envelope = json.loads(body)
            self.assertEqual(envelope["id"], headers["webhook-id"])
            self.assertLess(abs(int(headers["webhook-timestamp"]) - time.time()), 300)
            self.assertEqual(set(envelope), {"id", "type", "time", "data"})

        # /flaky: each payment first answered 500, then delivered on a retry.
        payments = {i for i, e in self.receiver.events("/ok").items()
                    if e["type"] == "payment.completed"}
        self.wait_for("/flaky", payments)
        flaky = self.endpoints["/flaky"]

        def retried_and_delivered():
            items = self.admin.get("/v1/admin/webhooks/%s/deliveries" % flaky["id"]).json["items"]
            done = [d for d in items if d["eventId"] in payments and d["deliveredAt"]]
            return len(done) == len(payments) and done
        done = poll(retried_and_delivered, DELIVERY_WAIT_S, 0.2)
        self.assertTrue(done)
        for d in done:
            self.assertEqual(d["type"], "payment.completed")
            self.assertGreaterEqual(d["attempts"], 2)
            self.assertEqual(d["lastStatus"], 200)
        for headers, body in self.receiver.received("/flaky"):
            self.assertTrue(verify(flaky["secret"], headers, body))
            self.assertEqual(json.loads(body)["type"], "payment.completed")

        # /gone: the first 410 disables the endpoint.
        gone = self.endpoints["/gone"]
        self.assertTrue(poll(lambda: self.receiver.received("/gone"), DELIVERY_WAIT_S, 0.1))
        listed = {w["id"]: w for w in self.admin.get("/v1/admin/webhooks").json["items"]}
        self.assertTrue(poll(lambda: {w["id"]: w for w in self.admin.get(
            "/v1/admin/webhooks").json["items"]}[gone["id"]]["disabledAt"], 10, 0.1), listed)
        # Attempts already under way when the 410 came back (at most 8 per endpoint) still
        # land; none starts afterwards.
        answered = len(self.receiver.received("/gone"))
        self.assertLessEqual(answered, 8)
        time.sleep(1.5)
        self.assertEqual(len(self.receiver.received("/gone")), answered)

        # NATS: the stream holds every event exactly once, on boxoffice.<type>.
        ok_ids = set(self.receiver.events("/ok"))
        self.wait_for_stream(ok_ids)
        counts, messages = self.stream()
        self.assertEqual([i for i, n in counts.items() if n > 1], [])
        for id_ in ok_ids:
            subject, envelope = messages[id_]
            self.assertEqual(subject, "boxoffice." + envelope["type"])
            self.assertEqual(envelope, self.receiver.events("/ok")[id_])

        metrics = self.anon.get("/metrics").raw.decode()
        self.assertIn('boxoffice_webhook_deliveries_total{result="delivered"}', metrics)
        self.assertRegex(metrics, r'boxoffice_webhook_deliveries_total\{result="gone"\} [1-8]\n')
        self.assertIn("boxoffice_nats_publish_lag_ms_count", metrics)
        self.assertIn("boxoffice_outbox_backlog_events", metrics)

    def test_c_kill_9_loses_no_event(self):
        tt = self.ga_type()
        users = [self.minted_user("usr-kill") for _ in range(4)]
        for _, token in users:
            self.sell(tt, token)
        self.server.proc.kill()  # SIGKILL while deliveries and publishes are under way
        self.server.proc.wait()
        self.server.start()
        self.restart_clients()
        for _, token in users:
            self.sell(tt, token)
        # Every committed charge, found through the API, arrives at least once.
        charges = set()
        for _, token in users:
            items = self.server.client(token).get("/v1/wallet/transactions?limit=100").json
            charges |= {t["id"] for t in items["items"] if t["kind"] == "CHARGE"}
        self.assertEqual(len(charges), 2 * len(users))
        self.assertTrue(poll(lambda: charges <= self.data_ids("/ok", "wallet.charged"),
                             DELIVERY_WAIT_S, 0.1))
        # Deduplicated by webhook-id, each charge is one event.
        by_charge = collections.Counter(
            e["data"]["id"] for e in self.receiver.events("/ok").values()
            if e["type"] == "wallet.charged" and e["data"]["id"] in charges)
        self.assertEqual(set(by_charge.values()), {1})
        ok_ids = set(self.receiver.events("/ok"))
        self.wait_for_stream(ok_ids)
        counts, _ = self.stream()
        self.assertEqual([i for i, n in counts.items() if n > 1], [])

    def test_d_nats_outage_never_fails_a_sale_and_the_stream_catches_up(self):
        tt = self.ga_type()
        self.nats.pause()
        users = [self.minted_user("usr-outage") for _ in range(4)]
        expected = collections.defaultdict(set)
        started = time.monotonic()
        for _, token in users:
            for type_, id_ in self.sell(tt, token).items():  # each call answered 2xx
                expected[type_].add(id_)
        self.assertLess(time.monotonic() - started, 30)
        self.assertTrue(poll(lambda: all(ids <= self.data_ids("/ok", t)
                                         for t, ids in expected.items()), DELIVERY_WAIT_S, 0.1),
                        "webhooks stopped with NATS")
        self.nats.resume()
        outage = {i for i, e in self.receiver.events("/ok").items()
                  if e["data"]["id"] in set().union(*expected.values())}
        self.assertEqual(len(outage), sum(len(ids) for ids in expected.values()))
        self.wait_for_stream(set(self.receiver.events("/ok")))
        counts, _ = self.stream()
        self.assertEqual([i for i, n in counts.items() if n > 1], [])
        self.assertTrue(outage <= set(counts))

if __name__ == "__main__":
    unittest.main()

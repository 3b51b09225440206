"""Event delivery on the scale-out shape: two instances on one PostgreSQL (wal_level=logical)
with a real nats-server. The active instance's relay reads the outbox from the logical
replication stream, fans it out to webhook deliveries and publishes it to JetStream; the
other stands by. Payments through both instances, then kill -9 of both and a restart: the
receiver gets every event, signed, retried after a 500, and the stream holds each event
exactly once. A NATS outage never fails a sale and the stream catches up. kill -9 of the
active relay's instance: the other takes over and nothing is lost or doubled. A database
without wal_level=logical refuses --nats and says why. `boxoffice audit --store` runs after
every test."""

import collections
import json
import subprocess
import tempfile
import threading
import time
import unittest

from harness import (Server, ServerTestCase, audit_store, clean_env, metric_value,
                     new_key, poll, stop_instances)
from services import NatsServer, PostgresCluster
from test_events import Receiver, verify

STREAM = "BOXOFFICE_EVENTS"
WAIT_S = 90


class RelayTest(ServerTestCase):
    hold_seconds = 60

    @classmethod
    def setUpClass(cls):
        cls.pg = PostgresCluster(settings={"wal_level": "logical"})
        cls.addClassCleanup(cls.pg.stop)
        cls.pg.start()
        cls.store_url = cls.pg.create_database("boxoffice")
        cls.nats = NatsServer()
        cls.addClassCleanup(cls.nats.stop)
        cls.nats.start()
        cls.receiver = Receiver()
        cls.addClassCleanup(cls.receiver.close)
        cls.extra_args = ("--store", cls.store_url, "--nats", cls.nats.url())
        super().setUpClass()  # instance A: cls.server
        b = Server(hold_seconds=cls.hold_seconds, extra_args=cls.extra_args)
        b.secret = cls.server.secret
        cls.addClassCleanup(b.remove)
        b.start()
        cls.instances = [cls.server, b]
        cls.endpoints = {}
        for path, events in (("/ok", ["*"]), ("/flaky", ["payment.completed"])):
            r = cls.admin.post("/v1/admin/webhooks", {"url": cls.receiver.url(path),
                                                     "events": events})
            if r.status != 201:
                raise AssertionError("create webhook: %r" % r)
            cls.endpoints[path] = r.json
        concert = cls.create_concert()
        sch = cls.create_schedule(concert["id"], seats=[], ticket_types=[
            {"name": "GA", "price": 10, "capacity": 100000}])
        cls.schedule_id = sch["id"]
        cls.ticket_type = sch["ticketTypes"][0]["id"]

    @classmethod
    def tearDownClass(cls):
        stop_instances(cls.instances)
        cls.check_audit()

    @classmethod
    def check_audit(cls):
        audit_store(cls.server, cls.store_url)

    def tearDown(self):
        self.check_audit()

    # ---- helpers ------------------------------------------------------------------------------

    def logs(self):
        return "\n".join("--- instance %d:\n%s" % (i, s.log_tail(20))
                         for i, s in enumerate(self.instances))

    def sell(self, server, token, ticket_type=None):
        """A charge, a paid hold and a cancelled hold through `server` (of the class's GA ticket
        type unless `ticket_type` = (schedule id, ticket type id)): the ids their events' data
        carry, by type."""
        schedule_id, ticket_type_id = ticket_type or (self.schedule_id, self.ticket_type)
        me = server.client(token)
        r = me.post("/v1/wallet/charges", {"amount": 100}, idempotency_key=new_key())
        self.assertStatus(r, 201)
        charge = r.json["transactionId"]
        r = me.post("/v1/reservations", {"scheduleId": schedule_id,
                                         "ticketTypeId": ticket_type_id, "quantity": 1})
        self.assertStatus(r, 201)
        r = me.post("/v1/payments", {"reservationId": r.json["id"], "method": "POINTS"},
                    idempotency_key=new_key())
        self.assertStatus(r, 201)
        payment = r.json["id"]
        r = me.post("/v1/reservations", {"scheduleId": schedule_id,
                                         "ticketTypeId": ticket_type_id, "quantity": 1})
        self.assertStatus(r, 201)
        cancelled = r.json["id"]
        r = me.delete("/v1/reservations/%s" % cancelled)
        self.assertIn(r.status, (200, 204), repr(r))
        return {("wallet.charged", charge), ("payment.completed", payment),
                ("reservation.cancelled", cancelled)}

    def sell_on_both(self, rounds, prefix):
        facts = set()
        for i in range(rounds):
            _, token = self.minted_user(prefix)
            facts |= self.sell(self.instances[i % 2], token)
        return facts

    def delivered_facts(self, path):
        return {(e["type"], e["data"]["id"]) for e in self.receiver.events(path).values()}

    def wait_delivered(self, facts):
        got = poll(lambda: facts <= self.delivered_facts("/ok"), WAIT_S, 0.1)
        self.assertTrue(got, "not delivered: %s\n%s"
                        % (sorted(facts - self.delivered_facts("/ok"))[:5], self.logs()))

    def stream(self):
        counts = collections.Counter()
        for _, subject, headers, data in self.nats.stream_messages(STREAM):
            envelope = json.loads(data)
            self.assertEqual(headers.get("Nats-Msg-Id"), envelope["id"])
            self.assertEqual(subject, "boxoffice." + envelope["type"])
            counts[envelope["id"]] += 1
        return counts

    def assert_stream_holds_once(self, ids):
        self.assertTrue(poll(lambda: set(ids) <= set(self.stream()), WAIT_S, 0.2),
                        "the stream never caught up\n" + self.logs())
        counts = self.stream()
        self.assertEqual([i for i, n in counts.items() if n > 1], [])

    def active(self):
        """The instances whose relay is active, by their metrics."""
        out = []
        for s in self.instances:
            if s.proc is None or s.proc.poll() is not None:
                continue  # killed
            text = s.client().get("/metrics").raw.decode()
            if metric_value(text, "boxoffice_relay_active") == 1:
                out.append(s)
        return out

    def instance_on(self, url, *args):
        """A started instance on the database `url` (more serve arguments: `args`), stopped
        and removed after the test."""
        s = Server(extra_args=("--store", url) + args)
        s.secret = self.server.secret
        self.addCleanup(s.remove)
        s.start()
        return s

    def new_ticket_type(self, server):
        """(schedule id, ticket type id) of a new GA schedule created through `server`."""
        admin = server.client(self.admin_token)
        r = admin.post("/v1/admin/concerts", {"name": self.unique("concert"), "artist": "a",
                                              "venue": "v"})
        self.assertStatus(r, 201)
        r = admin.post("/v1/admin/concerts/%s/schedules" % r.json["id"], {
            "startsAt": "2027-03-14T19:00:00Z",
            "ticketTypes": [{"name": "GA", "price": 10, "capacity": 100000}]})
        self.assertStatus(r, 201)
        return r.json["id"], r.json["ticketTypes"][0]["id"]

    def restart(self, server):
        server.start()
        if server is self.server:
            type(self).anon = server.client()
            type(self).admin = server.client(self.admin_token)

    # ---- tests ------------------------------------------------------------------------------

    def test_a_kill_9_of_both_instances_loses_and_doubles_nothing(self):
        self.assertTrue(poll(lambda: len(self.active()) == 1, WAIT_S, 0.1),
                        "no single active relay\n" + self.logs())
        facts = self.sell_on_both(6, "relay-a")
        for s in self.instances:  # while deliveries and publishes are under way
            s.kill()
        for s in self.instances:
            self.restart(s)
        facts |= self.sell_on_both(6, "relay-a2")
        self.wait_delivered(facts)

        secret = self.endpoints["/ok"]["secret"]
        for headers, body in self.receiver.received("/ok"):
            self.assertTrue(verify(secret, headers, body), headers)
        # /flaky answers 500 to the first delivery of each event: every payment was retried.
        payments = {i for i, e in self.receiver.events("/ok").items()
                    if e["type"] == "payment.completed"}
        flaky = self.endpoints["/flaky"]

        def retried():
            items = self.admin.get("/v1/admin/webhooks/%s/deliveries" % flaky["id"]).json["items"]
            done = [d for d in items if d["eventId"] in payments and d["deliveredAt"]]
            return done if len(done) == len(payments) else None
        done = poll(retried, WAIT_S, 0.2)
        self.assertTrue(done, self.logs())
        for d in done:
            self.assertGreaterEqual(d["attempts"], 1)
            self.assertEqual(d["lastStatus"], 200)
        # The receiver's own count proves the retries: an attempt cut short by the kill -9
        # (answered 500 but never recorded) is not in the delivery log, yet it happened.
        requests = collections.Counter(h["webhook-id"] for h, _ in self.receiver.received("/flaky"))
        for event_id in payments:
            self.assertGreaterEqual(requests[event_id], 2, event_id)
        for headers, body in self.receiver.received("/flaky"):
            self.assertTrue(verify(flaky["secret"], headers, body))

        self.assert_stream_holds_once(set(self.receiver.events("/ok")))
        # Delivered to every consumer: the relay pruned the outbox.
        self.assertTrue(poll(lambda: self.pg.query("boxoffice", "SELECT count(*) FROM outbox")
                             == [["0"]], WAIT_S, 0.2), self.logs())
        metrics = self.server.client().get("/metrics").raw.decode()
        self.assertIn("boxoffice_relay_lag_bytes", metrics)
        self.assertIn('boxoffice_webhook_deliveries_total{result="failed"}', metrics)

    def test_b_nats_outage_never_fails_a_sale_and_the_stream_catches_up(self):
        self.nats.pause()
        try:
            started = time.monotonic()
            facts = self.sell_on_both(6, "relay-b")  # every call answered 2xx
            self.assertLess(time.monotonic() - started, 30)
            self.wait_delivered(facts)  # webhooks do not wait for NATS
        finally:
            self.nats.resume()
        ids = {i for i, e in self.receiver.events("/ok").items()
               if (e["type"], e["data"]["id"]) in facts}
        self.assertEqual(len(ids), len(facts))
        self.assert_stream_holds_once(set(self.receiver.events("/ok")))

    def test_c_the_other_instance_takes_over_when_the_active_relay_dies(self):
        self.assertTrue(poll(lambda: len(self.active()) == 1, WAIT_S, 0.1), self.logs())
        [active] = self.active()
        [standby] = [s for s in self.instances if s is not active]
        facts = self.sell_on_both(4, "relay-c")
        active.kill()
        for _ in range(4):
            _, token = self.minted_user("relay-c2")
            facts |= self.sell(standby, token)
        self.assertTrue(poll(lambda: self.active() == [standby], WAIT_S, 0.05),
                        "the standby never took over\n" + self.logs())
        self.wait_delivered(facts)
        self.assert_stream_holds_once(set(self.receiver.events("/ok")))
        self.restart(active)
        facts = self.sell_on_both(2, "relay-c3")
        self.wait_delivered(facts)
        self.assertEqual(len(self.active()), 1)

    def test_d_without_logical_wal_nats_is_refused_and_webhooks_say_why(self):
        pg = PostgresCluster()  # wal_level = replica, PostgreSQL's default
        self.addCleanup(pg.stop)
        pg.start()
        url = pg.create_database("plain")
        data_dir = tempfile.mkdtemp(prefix="boxoffice-e2e-")
        base = [self.server.bin, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir,
                "--jwt-secret", self.server.secret, "--store", url]
        refused = subprocess.run(base + ["--nats", self.nats.url()], capture_output=True,
                                 text=True, timeout=60, env=clean_env())
        self.assertEqual(refused.returncode, 2, refused.stderr)
        self.assertIn("wal_level = logical", refused.stderr)
        s = Server(extra_args=("--store", url))
        s.secret = self.server.secret
        self.addCleanup(s.remove)
        s.start()
        r = s.client(self.admin_token).get("/v1/admin/webhooks")
        self.assertProblem(r, 503, "UNAVAILABLE")
        self.assertIn("wal_level", r.json["detail"])
        self.assertEqual(s.stop(), 0)

    def test_e_events_written_before_logical_wal_are_delivered_once_it_is_on(self):
        # A database that ran without wal_level = logical: sales go on, their events wait in
        # the outbox, older than any replication slot.
        pg = PostgresCluster()
        self.addCleanup(pg.stop)
        pg.start()
        url = pg.create_database("upgraded")
        s = self.instance_on(url)
        ticket_type = self.new_ticket_type(s)
        for _ in range(4):
            _, token = self.minted_user("relay-e")
            self.sell(s, token, ticket_type)
        before = {row[0] for row in pg.query("upgraded", "SELECT id FROM outbox")}
        self.assertEqual(len(before), 12)
        self.assertEqual(s.stop(), 0)

        # Logical WAL on, an instance with --nats: the first relay moves those rows behind
        # its new slot, and they flow with what is sold afterwards.
        pg.settings["wal_level"] = "logical"
        pg.restart()
        s = self.instance_on(url, "--nats", self.nats.url())
        _, token = self.minted_user("relay-e2")
        facts = self.sell(s, token, ticket_type)
        self.assert_stream_holds_once(before)

        def streamed_facts():
            return {(e["type"], e["data"]["id"]) for _, _, _, data in
                    self.nats.stream_messages(STREAM) for e in [json.loads(data)]}
        self.assertTrue(poll(lambda: facts <= streamed_facts(), WAIT_S, 0.2),
                        "the sale after the upgrade never reached the stream\n" + s.log_tail(20))
        self.assertTrue(poll(lambda: pg.query("upgraded", "SELECT count(*) FROM outbox")
                             == [["0"]], WAIT_S, 0.2),
                        "not pruned: %s\n%s" % (pg.query(
                            "upgraded", "SELECT seq, id, type FROM outbox ORDER BY seq"),
                            s.log_tail(20)))
        self.assertEqual([i for i, n in self.stream().items() if n > 1], [])
        self.assertEqual(s.stop(), 0)
        audit_store(s, url)

    def test_f_the_first_webhook_added_during_sales_gets_every_event_committed_after_it(self):
        # A database with no endpoint yet: until one exists the relay fans nothing out.
        url = self.pg.create_database("first_webhook")
        s = self.instance_on(url, "--nats", self.nats.url())
        ticket_type = self.new_ticket_type(s)
        stop = threading.Event()
        errors = []

        def keep_selling():  # events stream all along: the relay is mid-turn at the creation
            try:
                while not stop.is_set():
                    _, token = self.minted_user("relay-f0")
                    self.sell(s, token, ticket_type)
            except Exception as e:  # reported below, not lost in the thread
                errors.append(e)
        seller = threading.Thread(target=keep_selling)
        seller.start()
        try:
            time.sleep(0.5)
            r = s.client(self.admin_token).post(
                "/v1/admin/webhooks", {"url": self.receiver.url("/first"), "events": ["*"]})
            self.assertStatus(r, 201)
            facts = set()
            for _ in range(4):  # every one after the creation returned
                _, token = self.minted_user("relay-f")
                facts |= self.sell(s, token, ticket_type)
        finally:
            stop.set()
            seller.join()
        self.assertEqual(errors, [])

        def delivered():
            return {(e["type"], e["data"]["id"]) for e in self.receiver.events("/first").values()}
        self.assertTrue(poll(lambda: facts <= delivered(), WAIT_S, 0.1),
                        "not delivered to the new endpoint: %s\n%s"
                        % (sorted(facts - delivered())[:5], s.log_tail(20)))
        self.assertEqual(s.stop(), 0)
        audit_store(s, url)

if __name__ == "__main__":
    unittest.main()

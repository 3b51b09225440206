"""SIGTERM while buyers are busy: the server drains and exits 0, and after a restart over the
same data directory every acknowledged write is there (and its Idempotency-Key replays)."""

import concurrent.futures
import http.client
import random
import signal
import threading
import time
import unittest

from harness import Server, ServerTestCase, new_key, poll

WORKERS = 30
ACKED_BEFORE_SIGTERM = 300
# Sign-ups hash passwords on a small pool; this many queue more work than the drain waits for.
SIGNUPS = 500


class ShutdownTest(ServerTestCase):

    def test_sigterm_under_load_keeps_every_acknowledged_write(self):
        concert = self.create_concert()
        sch = self.create_schedule(concert["id"], seats=[], ticket_types=[
            {"name": "GA", "price": 1, "capacity": 100000}])
        tt = sch["ticketTypes"][0]["id"]
        users = [self.minted_user("usr-shutdown") for _ in range(WORKERS)]
        lock = threading.Lock()
        acked_total = [0]

        def worker(i):
            uid, token = users[i]
            me = self.server.client(token)
            rng = random.Random(i)
            out = {"charges": [], "holds": [], "unknown charges": 0, "unknown holds": 0,
                   "refused": []}
            n = 0
            while True:
                n += 1
                charge = n % 2 == 1
                key = new_key()
                try:
                    if charge:
                        r = me.post("/v1/wallet/charges", {"amount": 1}, idempotency_key=key,
                                    retry=False)
                    else:
                        r = me.post("/v1/reservations", {"scheduleId": sch["id"],
                                                         "ticketTypeId": tt, "quantity": 1},
                                    retry=False)
                except ConnectionRefusedError:
                    return out  # no connection: this request never left
                except (OSError, http.client.HTTPException):
                    out["unknown charges" if charge else "unknown holds"] += 1
                    return out
                if r.status == 201 and charge:
                    out["charges"].append((key, r.raw))
                elif r.status == 201:
                    out["holds"].append(r.json["id"])
                else:
                    out["refused"].append(r)
                with lock:
                    acked_total[0] += 1
                time.sleep(rng.random() * 0.005)

        with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
            futures = [pool.submit(worker, i) for i in range(WORKERS)]
            started = poll(lambda: acked_total[0] >= ACKED_BEFORE_SIGTERM
                           or any(f.done() for f in futures), 120, 0.01)
            self.assertTrue(started)
            self.server.proc.send_signal(signal.SIGTERM)
            try:
                code = self.server.proc.wait(timeout=60)
            except Exception:
                self.server.kill()
                raise
            results = [f.result(timeout=120) for f in futures]
        self.assertEqual(code, 0, "exit code after SIGTERM under load:\n" + self.server.log_tail())
        self.assertIn("draining", self.server.log_text())

        for out in results:
            for r in out["refused"]:
                # While draining, a request may be refused as unavailable, but never otherwise.
                self.assertProblem(r, 503, "UNAVAILABLE")

        self.server.start()
        cls = type(self)
        cls.anon = self.server.client()
        cls.admin = self.server.client(self.admin_token)

        total_charges = total_holds = 0
        for (uid, token), out in zip(users, results):
            me = self.user_client(token)
            balance = self.balance(token)
            acked = len(out["charges"])
            total_charges += acked
            self.assertGreaterEqual(balance, acked, "an acknowledged charge was lost")
            self.assertLessEqual(balance, acked + out["unknown charges"])
            txs = self.list_all(me, "/v1/wallet/transactions")
            self.assertEqual(len(txs), balance)
            reservations = {r["id"] for r in self.list_all(me, "/v1/reservations")}
            total_holds += len(out["holds"])
            self.assertLessEqual(set(out["holds"]), reservations,
                                 "an acknowledged hold was lost")
            self.assertLessEqual(len(reservations), len(out["holds"]) + out["unknown holds"])
            for key, raw in out["charges"]:
                r = me.post("/v1/wallet/charges", {"amount": 1}, idempotency_key=key)
                self.assertStatus(r, 201)
                self.assertEqual(r.raw, raw)
                self.assertEqual(r.headers.get("Idempotent-Replayed"), "true")
            self.assertEqual(self.balance(token), balance)
        self.assertGreater(total_charges, 0)
        self.assertGreater(total_holds, 0)

        (t,) = self.schedule(sch["id"])["ticketTypes"]
        held = sum(len(self.list_all(self.user_client(tok), "/v1/reservations"))
                   for _, tok in users)
        self.assertEqual(t["capacity"] - t["available"], held)

    def test_sigterm_with_a_backlog_of_sign_ups_exits_0(self):
        server = Server()
        self.addCleanup(server.remove)
        server.start()
        sent = threading.Semaphore(0)

        def signup(i):
            conn = http.client.HTTPConnection(server.host, server.port, timeout=120)
            try:
                conn.request("POST", "/v1/auth/signup", body=(
                    '{"email": "burst-%d@example.com", "password": "password-%d", '
                    '"name": "Burst"}' % (i, i)), headers={"Content-Type": "application/json"})
                sent.release()
                r = conn.getresponse()
                return r.status, r.read()
            except (OSError, http.client.HTTPException) as e:
                sent.release()
                return None, repr(e)
            finally:
                conn.close()

        with concurrent.futures.ThreadPoolExecutor(max_workers=SIGNUPS) as pool:
            futures = [pool.submit(signup, i) for i in range(SIGNUPS)]
            for _ in range(SIGNUPS):
                self.assertTrue(sent.acquire(timeout=120))
            time.sleep(0.2)
            server.proc.send_signal(signal.SIGTERM)
            try:
                code = server.proc.wait(timeout=120)
            except Exception:
                server.kill()
                raise
            results = [f.result(timeout=120) for f in futures]
        self.assertEqual(code, 0, "exit code after SIGTERM with queued sign-ups:\n"
                         + server.log_text()[-6000:])
        audit = server.audit()
        self.assertEqual(audit.returncode, 0, audit.stdout + audit.stderr)

        created = [i for i, (status, _) in enumerate(results) if status == 201]
        for status, body in results:
            self.assertIn(status, (201, 503, None), body)
        server.start()
        client = server.client()
        for i in created[:5] + created[-5:]:
            r = client.post("/v1/auth/login", {"email": "burst-%d@example.com" % i,
                                               "password": "password-%d" % i})
            self.assertStatus(r, 200, "an acknowledged sign-up was lost")
        code = server.stop()
        self.assertEqual(code, 0, server.log_tail())


if __name__ == "__main__":
    unittest.main()

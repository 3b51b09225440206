"""kill -9 while buyers hold, charge and pay: after a restart over the same data directory
every acknowledged payment is there with its tickets and debit, every acknowledged hold is
there, every acknowledged charge replays, and the audit passes."""

import concurrent.futures
import http.client
import threading
import unittest

from harness import ServerTestCase, new_key, poll

WORKERS = 24
ACKED_PAYMENTS_BEFORE_KILL = 600


class CrashTest(ServerTestCase):

    def test_kill_9_loses_no_acknowledged_payment(self):
        concert = self.create_concert()
        sch = self.create_schedule(concert["id"], seats=[], ticket_types=[
            {"name": "GA", "price": 10, "capacity": 100000}])
        tt = sch["ticketTypes"][0]["id"]
        users = [self.minted_user("usr-crash") for _ in range(WORKERS)]
        lock = threading.Lock()
        paid_total = [0]

        def worker(i):
            _, token = users[i]
            me = self.server.client(token)
            out = {"charges": [], "holds": [], "payments": []}
            try:
                while True:
                    key = new_key()
                    r = me.post("/v1/wallet/charges", {"amount": 10}, idempotency_key=key,
                                retry=False)
                    if r.status != 201:
                        return out
                    out["charges"].append((key, r.raw))
                    r = me.post("/v1/reservations", {"scheduleId": sch["id"],
                                                     "ticketTypeId": tt, "quantity": 1},
                                retry=False)
                    if r.status != 201:
                        return out
                    reservation = r.json["id"]
                    out["holds"].append(reservation)
                    r = me.post("/v1/payments", {"reservationId": reservation, "method": "POINTS"},
                                idempotency_key=new_key(), retry=False)
                    if r.status != 201:
                        return out
                    out["payments"].append((r.json["id"], reservation))
                    with lock:
                        paid_total[0] += 1
            except (OSError, http.client.HTTPException):
                return out  # the server died under this request: its outcome is unknown

        with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
            futures = [pool.submit(worker, i) for i in range(WORKERS)]
            reached = poll(lambda: paid_total[0] >= ACKED_PAYMENTS_BEFORE_KILL
                           or any(f.done() for f in futures), 120, 0.01)
            self.assertTrue(reached)
            self.server.proc.kill()  # SIGKILL: no draining, no clean close of the store
            self.server.proc.wait()
            results = [f.result(timeout=120) for f in futures]

        self.server.start()
        cls = type(self)
        cls.anon = self.server.client()
        cls.admin = self.server.client(self.admin_token)

        payments = 0
        for (_, token), out in zip(users, results):
            me = self.user_client(token)
            for payment_id, reservation_id in out["payments"]:
                payments += 1
                r = me.get("/v1/payments/" + payment_id)
                self.assertStatus(r, 200, "an acknowledged payment was lost")
                self.assertEqual(r.json["status"], "PAID")
                self.assertEqual(len(r.json["tickets"]), 1)
                r = me.get("/v1/reservations/" + reservation_id)
                self.assertEqual(r.json["status"], "PAID")
            reservations = {r["id"] for r in self.list_all(me, "/v1/reservations")}
            self.assertLessEqual(set(out["holds"]), reservations, "an acknowledged hold was lost")
            debits = [t for t in self.list_all(me, "/v1/wallet/transactions")
                      if t["kind"] == "PAYMENT"]
            self.assertGreaterEqual(len(debits), len(out["payments"]))
            tickets = self.list_all(me, "/v1/tickets")
            self.assertEqual(len(tickets), len(debits), "one ticket per paid unit")
            for key, raw in out["charges"]:
                r = me.post("/v1/wallet/charges", {"amount": 10}, idempotency_key=key)
                self.assertStatus(r, 201)
                self.assertEqual(r.raw, raw, "a charge replayed differently after the crash")
        self.assertGreaterEqual(payments, ACKED_PAYMENTS_BEFORE_KILL)
        print("acknowledged before kill -9: %d payments" % payments)
        # tearDownClass stops the restarted server and runs `boxoffice audit`.


if __name__ == "__main__":
    unittest.main()

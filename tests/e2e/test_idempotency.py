"""Idempotency-Key: a retry replays the first answer byte for byte and moves money once; a
reused key with another request is refused; concurrent attempts never double-charge."""

import unittest

from harness import ServerTestCase, new_key, race


class IdempotencyTest(ServerTestCase):

    def _warm(self):
        self.anon.get("/healthz")

    def _transactions(self, me):
        return self.list_all(me, "/v1/wallet/transactions")

    def test_retry_replays_the_same_bytes_and_charges_once(self):
        _, token = self.minted_user()
        me = self.user_client(token)
        key = new_key()
        first = me.post("/v1/wallet/charges", {"amount": 1000}, idempotency_key=key)
        self.assertStatus(first, 201)
        self.assertIsNone(first.headers.get("Idempotent-Replayed"))
        self.assertEqual((first.json["amount"], first.json["balance"]), (1000, 1000))

        for _ in range(3):
            again = me.post("/v1/wallet/charges", {"amount": 1000}, idempotency_key=key)
            self.assertStatus(again, 201)
            self.assertEqual(again.raw, first.raw, "a replay is byte-identical")
            self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
            self.assertTrue(again.content_type.startswith("application/json"))
        self.assertEqual(self.balance(token), 1000)
        self.assertEqual(len(self._transactions(me)), 1)

        # Same key, another body: refused, nothing charged.
        r = me.post("/v1/wallet/charges", {"amount": 2000}, idempotency_key=key)
        self.assertProblem(r, 422, "IDEMPOTENCY_KEY_REUSED")
        # Same key on another endpoint.
        r = me.post("/v1/payments", {"reservationId": "res_x", "method": "POINTS"},
                    idempotency_key=key)
        self.assertProblem(r, 422, "IDEMPOTENCY_KEY_REUSED")
        self.assertEqual(self.balance(token), 1000)
        self.assertEqual(len(self._transactions(me)), 1)

        # A fresh key is a new charge.
        r = me.post("/v1/wallet/charges", {"amount": 1000}, idempotency_key=new_key())
        self.assertStatus(r, 201)
        self.assertIsNone(r.headers.get("Idempotent-Replayed"))
        self.assertEqual(r.json["balance"], 2000)
        self.assertNotEqual(r.json["transactionId"], first.json["transactionId"])

    def test_20_concurrent_charges_with_one_key_charge_once(self):
        _, token = self.minted_user()
        me = self.user_client(token)
        key = new_key()
        replies = race(lambda: me.post("/v1/wallet/charges", {"amount": 4321},
                                       idempotency_key=key),
                       [()] * 20, workers=20, warm=self._warm)
        created = [r for r in replies if r.status == 201]
        originals = [r for r in created if r.headers.get("Idempotent-Replayed") is None]
        for r in replies:
            if r.status != 201:
                self.assertProblem(r, 409, "IDEMPOTENCY_KEY_IN_USE")
        self.assertEqual(len(originals), 1, "one answer is the original: %r" % replies)
        for r in created:
            self.assertEqual(r.raw, originals[0].raw)
            if r is not originals[0]:
                self.assertEqual(r.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(self.balance(token), 4321)
        txs = self._transactions(me)
        self.assertEqual([(t["kind"], t["amount"]) for t in txs], [("CHARGE", 4321)])
        # Once the first attempt is over, every retry is a replay.
        r = me.post("/v1/wallet/charges", {"amount": 4321}, idempotency_key=key)
        self.assertStatus(r, 201)
        self.assertEqual(r.raw, originals[0].raw)
        self.assertEqual(r.headers.get("Idempotent-Replayed"), "true")

    def test_double_submitted_payment_pays_once(self):
        concert = self.create_concert()
        sch = self.create_schedule(concert["id"], seat_rows={
            "sections": ["A"], "rows": 1, "perRow": 4, "grade": "R", "price": 30000})
        seats = [s["id"] for s in self.seat_map(sch["id"])]
        _, token = self.minted_user()
        me = self.user_client(token)
        self.charge(token, 100000)
        r = me.post("/v1/reservations", {"scheduleId": sch["id"], "seatIds": seats[:2]})
        self.assertStatus(r, 201)
        res = r.json
        key = new_key()
        body = {"reservationId": res["id"], "method": "POINTS"}
        replies = race(lambda: me.post("/v1/payments", body, idempotency_key=key), [()] * 10,
                       workers=10, warm=self._warm)
        created = [r for r in replies if r.status == 201]
        for r in replies:
            if r.status != 201:
                self.assertProblem(r, 409, "IDEMPOTENCY_KEY_IN_USE")
        originals = [r for r in created if r.headers.get("Idempotent-Replayed") is None]
        self.assertEqual(len(originals), 1, replies)
        payment = originals[0].json
        for r in created:
            self.assertEqual(r.raw, originals[0].raw)

        retry = me.post("/v1/payments", body, idempotency_key=key)
        self.assertStatus(retry, 201)
        self.assertEqual(retry.raw, originals[0].raw)
        self.assertEqual(retry.headers.get("Idempotent-Replayed"), "true")

        self.assertEqual(self.balance(token), 40000)
        txs = self._transactions(me)
        self.assertEqual(sorted((t["kind"], t["amount"]) for t in txs),
                         [("CHARGE", 100000), ("PAYMENT", 60000)])
        tickets = self.list_all(me, "/v1/tickets")
        self.assertEqual(sorted(t["id"] for t in tickets),
                         sorted(t["id"] for t in payment["tickets"]))
        self.assertEqual(len(tickets), 2)
        self.assertEqual(me.get("/v1/payments/" + payment["id"]).json, payment)
        # The payment itself is over: a new key cannot pay again.
        r = me.post("/v1/payments", body, idempotency_key=new_key())
        self.assertProblem(r, 409, "INVALID_STATE")
        self.assertEqual(self.balance(token), 40000)

    def test_keys_belong_to_their_user(self):
        _, a_token = self.minted_user("usr-key-a")
        _, b_token = self.minted_user("usr-key-b")
        a, b = self.user_client(a_token), self.user_client(b_token)
        key = new_key()
        ra = a.post("/v1/wallet/charges", {"amount": 700}, idempotency_key=key)
        self.assertStatus(ra, 201)
        rb = b.post("/v1/wallet/charges", {"amount": 700}, idempotency_key=key)
        self.assertStatus(rb, 201)
        self.assertIsNone(rb.headers.get("Idempotent-Replayed"), "B's first use is not a replay")
        self.assertNotEqual(rb.json["transactionId"], ra.json["transactionId"])
        rb2 = b.post("/v1/wallet/charges", {"amount": 900}, idempotency_key=new_key())
        self.assertStatus(rb2, 201)
        self.assertEqual(self.balance(a_token), 700)
        self.assertEqual(self.balance(b_token), 1600)
        # B's use of the key did not disturb A's stored answer.
        again = a.post("/v1/wallet/charges", {"amount": 700}, idempotency_key=key)
        self.assertEqual(again.raw, ra.raw)
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(self.balance(a_token), 700)

    def test_key_length_limits(self):
        _, token = self.minted_user()
        me = self.user_client(token)
        r = me.post("/v1/wallet/charges", {"amount": 100}, idempotency_key="k" * 256)
        self.assertProblem(r, 400, "INVALID_REQUEST", field="Idempotency-Key")
        r = me.post("/v1/wallet/charges", {"amount": 100}, idempotency_key="")
        self.assertProblem(r, 400, "INVALID_REQUEST", field="Idempotency-Key")
        self.assertEqual(self.balance(token), 0)
        r = me.post("/v1/wallet/charges", {"amount": 100}, idempotency_key="k" * 255)
        self.assertStatus(r, 201)
        r = me.post("/v1/wallet/charges", {"amount": 100}, idempotency_key="k")
        self.assertStatus(r, 201)
        self.assertEqual(self.balance(token), 200)
        again = me.post("/v1/wallet/charges", {"amount": 100}, idempotency_key="k" * 255)
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(self.balance(token), 200)

    def test_a_refused_request_does_not_burn_its_key(self):
        _, token = self.minted_user()
        me = self.user_client(token)
        key = new_key()
        r = me.post("/v1/wallet/charges", {"amount": 0}, idempotency_key=key)
        self.assertProblem(r, 400, "INVALID_REQUEST", field="amount")
        self.assertEqual(self.balance(token), 0)
        r = me.post("/v1/wallet/charges", {"amount": 250}, idempotency_key=key)
        self.assertStatus(r, 201)
        self.assertIsNone(r.headers.get("Idempotent-Replayed"))
        self.assertEqual(self.balance(token), 250)

    def test_key_on_a_hold_replays_the_same_reservation(self):
        concert = self.create_concert()
        sch = self.create_schedule(concert["id"], seat_rows={
            "sections": ["A"], "rows": 1, "perRow": 3, "grade": "R", "price": 1000})
        seat = self.seat_map(sch["id"])[0]["id"]
        _, token = self.minted_user()
        me = self.user_client(token)
        key = new_key()
        body = {"scheduleId": sch["id"], "seatIds": [seat]}
        first = me.post("/v1/reservations", body, idempotency_key=key)
        self.assertStatus(first, 201)
        again = me.post("/v1/reservations", body, idempotency_key=key)
        self.assertStatus(again, 201)
        self.assertEqual(again.raw, first.raw)
        self.assertEqual(again.headers.get("Idempotent-Replayed"), "true")
        self.assertEqual(len(me.get("/v1/reservations").json["items"]), 1)
        self.assertEqual(self.schedule(sch["id"])["seatsAvailable"], 2)


if __name__ == "__main__":
    unittest.main()

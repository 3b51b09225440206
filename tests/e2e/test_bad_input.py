"""Bad requests on every POST endpoint and list query: each is an application/problem+json
with the right status and code, its detail names the field, and nothing is written."""

import base64
import json
import unittest

from harness import ServerTestCase, new_key, raw_http

MIB = 1 << 20
BIG_NUMBER = "99999999999999999999"  # beyond 64 bits


class BadInputTest(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.concert = cls.create_concert()
        cls.sch = cls.create_schedule(
            cls.concert["id"],
            seat_rows={"sections": ["A"], "rows": 1, "perRow": 5, "grade": "R", "price": 10000},
            ticket_types=[{"name": "GA", "price": 2000, "capacity": 3}])
        cls.tt = cls.sch["ticketTypes"][0]["id"]
        cls.seats = [s["id"] for s in cls.seat_map(cls.sch["id"])]
        other_concert = cls.create_concert()
        cls.other_sch = cls.create_schedule(
            other_concert["id"],
            seat_rows={"sections": ["Z"], "rows": 1, "perRow": 2, "grade": "R", "price": 1},
            ticket_types=[{"name": "Other", "price": 1, "capacity": 5}])

        cls.buyer_id, cls.buyer_token = cls.minted_user("usr-bad-buyer")
        cls.buyer = cls.user_client(cls.buyer_token)
        cls.charge(cls.buyer_token, 100000)
        held = cls.buyer.post("/v1/reservations",
                              {"scheduleId": cls.sch["id"], "seatIds": [cls.seats[0]]})
        assert held.status == 201, held
        cls.held = held.json
        paid = cls.buyer.post("/v1/reservations",
                              {"scheduleId": cls.sch["id"], "seatIds": [cls.seats[1]]})
        assert paid.status == 201, paid
        pay = cls.buyer.post("/v1/payments", {"reservationId": paid.json["id"],
                                              "method": "POINTS"}, idempotency_key=new_key())
        assert pay.status == 201, pay
        cls.payment = pay.json

        cls.other_id, cls.other_token = cls.minted_user("usr-bad-other")
        cls.other = cls.user_client(cls.other_token)
        cls.charge(cls.other_token, 50000)
        r = cls.other.post("/v1/reservations",
                           {"scheduleId": cls.sch["id"], "seatIds": [cls.seats[4]]})
        assert r.status == 201, r
        cls.other_held = r.json

    # ---- what "nothing was written" means ---------------------------------------------------

    def snapshot(self):
        state = {
            "concerts": self.list_all(self.anon, "/v1/concerts"),
            "schedules": self.anon.get("/v1/concerts/%s/schedules" % self.concert["id"]).json,
            "schedule": self.schedule(self.sch["id"]),
            "seats": self.seat_map(self.sch["id"]),
            "other seats": self.seat_map(self.other_sch["id"]),
            "other schedule": self.schedule(self.other_sch["id"]),
        }
        for name, client in (("buyer", self.buyer), ("other", self.other)):
            state[name] = {
                "wallet": client.get("/v1/wallet").json,
                "transactions": self.list_all(client, "/v1/wallet/transactions"),
                "reservations": self.list_all(client, "/v1/reservations"),
                "tickets": self.list_all(client, "/v1/tickets"),
            }
        return state

    def run_cases(self, client, method, path, cases, key=True):
        """cases: (label, body, status, code, field). Each must be refused as told, and the
        stored state must be the same afterwards."""
        before = self.snapshot()
        for label, body, status, code, field in cases:
            with self.subTest(path=path, case=label):
                r = client.request(method, path, body=body,
                                   idempotency_key=new_key() if key else None)
                self.assertProblem(r, status, code, field)
        self.assertEqual(self.snapshot(), before, "a refused request changed stored state")

    def common_cases(self):
        return [
            ("malformed JSON", '{"amount": ', 400, "INVALID_REQUEST", "body"),
            ("truncated object", '{"a": 1', 400, "INVALID_REQUEST", "body"),
            ("trailing garbage", '{"a": 1} x', 400, "INVALID_REQUEST", "body"),
            ("empty body", "", 400, "INVALID_REQUEST", "body"),
            ("JSON array", [], 400, "INVALID_REQUEST", "body"),
            ("array of objects", [{"amount": 1}], 400, "INVALID_REQUEST", "body"),
            ("JSON string", '"text"', 400, "INVALID_REQUEST", "body"),
            ("JSON null", "null", 400, "INVALID_REQUEST", "body"),
            ("invalid UTF-8", b'{"name": "\xff\xfe"}', 400, "INVALID_REQUEST", None),
        ]

    # ---- accounts ---------------------------------------------------------------------------

    def test_signup(self):
        email = "fresh-signup@example.com"
        ok = {"email": email, "password": "long enough pw", "name": "Fresh"}

        def w(**kw):
            body = dict(ok)
            for k, v in kw.items():
                if v is _DROP:
                    body.pop(k)
                else:
                    body[k] = v
            return body

        cases = self.common_cases() + [
            ("no email", w(email=_DROP), 400, "INVALID_REQUEST", "email"),
            ("null email", w(email=None), 400, "INVALID_REQUEST", "email"),
            ("email number", w(email=5), 400, "INVALID_REQUEST", "email"),
            ("not an email", w(email="not-an-email"), 400, "INVALID_REQUEST", "email"),
            ("no password", w(password=_DROP), 400, "INVALID_REQUEST", "password"),
            ("short password", w(password="short"), 400, "INVALID_REQUEST", "password"),
            ("password list", w(password=["long enough pw"]), 400, "INVALID_REQUEST",
             "password"),
            ("no name", w(name=_DROP), 400, "INVALID_REQUEST", "name"),
            ("empty name", w(name=""), 400, "INVALID_REQUEST", "name"),
            ("long name", w(name="n" * 101), 400, "INVALID_REQUEST", "name"),
            ("control character", w(name="a\u0001b"), 400, "INVALID_REQUEST", "name"),
        ]
        self.run_cases(self.anon, "POST", "/v1/auth/signup", cases, key=False)
        self.assertProblem(self.login(email, "long enough pw"), 401, "INVALID_CREDENTIALS")
        r = self.anon.post("/v1/auth/signup", ok)
        self.assertStatus(r, 201, "the refused sign-ups did not take the email")

    def test_login(self):
        cases = self.common_cases() + [
            ("no email", {"password": "whatever pw"}, 400, "INVALID_REQUEST", "email"),
            ("email number", {"email": 1, "password": "whatever pw"}, 400, "INVALID_REQUEST",
             "email"),
            ("no password", {"email": "a@example.com"}, 400, "INVALID_REQUEST", "password"),
            ("password number", {"email": "a@example.com", "password": 12345678}, 400,
             "INVALID_REQUEST", "password"),
        ]
        self.run_cases(self.anon, "POST", "/v1/auth/login", cases, key=False)

    # ---- catalog ----------------------------------------------------------------------------

    def test_create_concert(self):
        ok = {"name": "N", "artist": "A", "venue": "V"}
        cases = self.common_cases() + [
            ("no name", {"artist": "A", "venue": "V"}, 400, "INVALID_REQUEST", "name"),
            ("no artist", {"name": "N", "venue": "V"}, 400, "INVALID_REQUEST", "artist"),
            ("no venue", {"name": "N", "artist": "A"}, 400, "INVALID_REQUEST", "venue"),
            ("name number", dict(ok, name=3), 400, "INVALID_REQUEST", "name"),
            ("venue object", dict(ok, venue={"x": 1}), 400, "INVALID_REQUEST", "venue"),
            ("empty artist", dict(ok, artist=""), 400, "INVALID_REQUEST", "artist"),
            ("long name", dict(ok, name="x" * 201), 400, "INVALID_REQUEST", "name"),
        ]
        self.run_cases(self.admin, "POST", "/v1/admin/concerts", cases)

    def test_create_schedule(self):
        path = "/v1/admin/concerts/%s/schedules" % self.concert["id"]
        seat = {"section": "A", "row": "1", "number": 1, "grade": "R", "price": 1000}
        rows = {"sections": ["A"], "rows": 2, "perRow": 2, "grade": "R", "price": 1000}
        tt = {"name": "GA", "price": 1000, "capacity": 10}
        at = "2027-06-01T19:00:00Z"

        def without(d, k):
            d = dict(d)
            d.pop(k)
            return d

        cases = self.common_cases() + [
            ("no startsAt", {"seats": [seat]}, 400, "INVALID_REQUEST", "startsAt"),
            ("startsAt number", {"startsAt": 1767225600}, 400, "INVALID_REQUEST", "startsAt"),
            ("month 13", {"startsAt": "2027-13-01T19:00:00Z"}, 400, "INVALID_REQUEST",
             "startsAt"),
            ("February 30", {"startsAt": "2027-02-30T19:00:00Z"}, 400, "INVALID_REQUEST",
             "startsAt"),
            ("hour 25", {"startsAt": "2027-01-01T25:00:00Z"}, 400, "INVALID_REQUEST",
             "startsAt"),
            ("no offset", {"startsAt": "2027-01-01T19:00:00"}, 400, "INVALID_REQUEST",
             "startsAt"),
            ("date only", {"startsAt": "2027-01-01"}, 400, "INVALID_REQUEST", "startsAt"),
            ("words", {"startsAt": "next friday"}, 400, "INVALID_REQUEST", "startsAt"),
            ("seats not a list", {"startsAt": at, "seats": "A1"}, 400, "INVALID_REQUEST",
             "seats"),
            ("seat not an object", {"startsAt": at, "seats": [5]}, 400, "INVALID_REQUEST",
             "seats[0]"),
            ("seat without price", {"startsAt": at, "seats": [without(seat, "price")]}, 400,
             "INVALID_REQUEST", "seats[0].price"),
            ("negative price", {"startsAt": at, "seats": [dict(seat, price=-1)]}, 400,
             "INVALID_REQUEST", "seats[0].price"),
            ("huge price", {"startsAt": at, "seats": [dict(seat, price=100000001)]}, 400,
             "INVALID_REQUEST", "seats[0].price"),
            ("number text", {"startsAt": at, "seats": [seat, dict(seat, number="2")]}, 400,
             "INVALID_REQUEST", "seats[1].number"),
            ("seat without section", {"startsAt": at, "seats": [without(seat, "section")]},
             400, "INVALID_REQUEST", "seats[0].section"),
            ("same seat twice", {"startsAt": at, "seats": [seat, dict(seat)]}, 400,
             "INVALID_REQUEST", "seats"),
            ("seats and seatRows", {"startsAt": at, "seats": [seat], "seatRows": rows}, 400,
             "INVALID_REQUEST", "seatRows"),
            ("zero rows", {"startsAt": at, "seatRows": dict(rows, rows=0)}, 400,
             "INVALID_REQUEST", "seatRows.rows"),
            ("no sections", {"startsAt": at, "seatRows": dict(rows, sections=[])}, 400,
             "INVALID_REQUEST", "seatRows.sections"),
            ("perRow text", {"startsAt": at, "seatRows": dict(rows, perRow="2")}, 400,
             "INVALID_REQUEST", "seatRows.perRow"),
            ("too many seats", {"startsAt": at, "seatRows": dict(rows, rows=1000,
                                                                 perRow=1000)},
             400, "INVALID_REQUEST", "seatRows"),
            ("ticketTypes object", {"startsAt": at, "ticketTypes": tt}, 400, "INVALID_REQUEST",
             "ticketTypes"),
            ("negative capacity", {"startsAt": at, "ticketTypes": [dict(tt, capacity=-1)]},
             400, "INVALID_REQUEST", "ticketTypes[0].capacity"),
            ("type without name", {"startsAt": at, "ticketTypes": [tt, without(tt, "name")]},
             400, "INVALID_REQUEST", "ticketTypes[1].name"),
            ("fractional price", {"startsAt": at, "ticketTypes": [dict(tt, price=10.5)]}, 400,
             "INVALID_REQUEST", "ticketTypes[0].price"),
        ]
        self.run_cases(self.admin, "POST", path, cases)
        before = self.snapshot()
        r = self.admin.post("/v1/admin/concerts/con_unknown/schedules",
                            {"startsAt": at, "seats": [seat]})
        self.assertProblem(r, 404, "NOT_FOUND")
        self.assertEqual(self.snapshot(), before)

    # ---- holds ------------------------------------------------------------------------------

    def test_create_reservation(self):
        sch = self.sch["id"]
        free = self.seats[2:4]
        eleven = ["seat_%d" % i for i in range(11)]
        cases = self.common_cases() + [
            ("empty object", {}, 400, "INVALID_REQUEST", "scheduleId"),
            ("scheduleId number", {"scheduleId": 7, "seatIds": free}, 400, "INVALID_REQUEST",
             "scheduleId"),
            ("neither seats nor type", {"scheduleId": sch}, 400, "INVALID_REQUEST", "seatIds"),
            ("both seats and type", {"scheduleId": sch, "seatIds": free, "ticketTypeId": self.tt,
                                     "quantity": 1}, 400, "INVALID_REQUEST", "seatIds"),
            ("seatIds a string", {"scheduleId": sch, "seatIds": free[0]}, 400,
             "INVALID_REQUEST", "seatIds"),
            ("no seats", {"scheduleId": sch, "seatIds": []}, 400, "INVALID_REQUEST", "seatIds"),
            ("11 seats", {"scheduleId": sch, "seatIds": eleven}, 400, "INVALID_REQUEST",
             "seatIds"),
            ("same seat twice", {"scheduleId": sch, "seatIds": [free[0], free[1], free[0]]},
             400, "INVALID_REQUEST", "seatIds"),
            ("seat id number", {"scheduleId": sch, "seatIds": [free[0], 12]}, 400,
             "INVALID_REQUEST", "seatIds[1]"),
            ("quantity 0", {"scheduleId": sch, "ticketTypeId": self.tt, "quantity": 0}, 400,
             "INVALID_REQUEST", "quantity"),
            ("quantity 11", {"scheduleId": sch, "ticketTypeId": self.tt, "quantity": 11}, 400,
             "INVALID_REQUEST", "quantity"),
            ("quantity -1", {"scheduleId": sch, "ticketTypeId": self.tt, "quantity": -1}, 400,
             "INVALID_REQUEST", "quantity"),
            ("quantity text", {"scheduleId": sch, "ticketTypeId": self.tt, "quantity": "2"},
             400, "INVALID_REQUEST", "quantity"),
            ("quantity 1.5", {"scheduleId": sch, "ticketTypeId": self.tt, "quantity": 1.5},
             400, "INVALID_REQUEST", "quantity"),
            ("no quantity", {"scheduleId": sch, "ticketTypeId": self.tt}, 400,
             "INVALID_REQUEST", "quantity"),
            ("ticketTypeId number", {"scheduleId": sch, "ticketTypeId": 3, "quantity": 1}, 400,
             "INVALID_REQUEST", "ticketTypeId"),
            ("unknown schedule", {"scheduleId": "sch_unknown", "seatIds": free}, 404,
             "NOT_FOUND", None),
            ("unknown seat", {"scheduleId": sch, "seatIds": ["seat_unknown"]}, 404,
             "NOT_FOUND", None),
            ("free seat and unknown seat", {"scheduleId": sch,
                                            "seatIds": [free[0], "seat_unknown"]},
             404, "NOT_FOUND", None),
            ("seat of another schedule", {"scheduleId": sch,
                                          "seatIds": [free[0], self.other_seat()]},
             404, "NOT_FOUND", None),
            ("unknown ticket type", {"scheduleId": sch, "ticketTypeId": "tt_unknown",
                                     "quantity": 1}, 404, "NOT_FOUND", None),
            ("ticket type of another schedule",
             {"scheduleId": sch, "ticketTypeId": self.other_sch["ticketTypes"][0]["id"],
              "quantity": 1}, 404, "NOT_FOUND", None),
            ("free seat and held seat", {"scheduleId": sch, "seatIds": [free[0],
                                                                        self.seats[0]]},
             409, "SEAT_UNAVAILABLE", None),
            ("free seat and sold seat", {"scheduleId": sch, "seatIds": [free[1],
                                                                        self.seats[1]]},
             409, "SEAT_UNAVAILABLE", None),
            ("more units than left", {"scheduleId": sch, "ticketTypeId": self.tt,
                                      "quantity": 4}, 409, "SOLD_OUT", None),
        ]
        self.run_cases(self.buyer, "POST", "/v1/reservations", cases, key=False)
        # The same, each with an Idempotency-Key, stores nothing either.
        self.run_cases(self.buyer, "POST", "/v1/reservations", cases, key=True)

    def other_seat(self):
        return self.seat_map(self.other_sch["id"])[0]["id"]

    # ---- wallet and payments ----------------------------------------------------------------

    def test_wallet_charge(self):
        cases = self.common_cases() + [
            ("amount 0", {"amount": 0}, 400, "INVALID_REQUEST", "amount"),
            ("amount -1", {"amount": -1}, 400, "INVALID_REQUEST", "amount"),
            ("amount 10000001", {"amount": 10000001}, 400, "INVALID_REQUEST", "amount"),
            ("amount 1e20", '{"amount": 1e20}', 400, "INVALID_REQUEST", "amount"),
            ("amount 1e3", '{"amount": 1e3}', 400, "INVALID_REQUEST", "amount"),
            ("amount 100.5", {"amount": 100.5}, 400, "INVALID_REQUEST", "amount"),
            ('amount "100"', {"amount": "100"}, 400, "INVALID_REQUEST", "amount"),
            ("amount true", {"amount": True}, 400, "INVALID_REQUEST", "amount"),
            ("amount null", {"amount": None}, 400, "INVALID_REQUEST", "amount"),
            ("amount list", {"amount": [100]}, 400, "INVALID_REQUEST", "amount"),
            ("no amount", {"amt": 100}, 400, "INVALID_REQUEST", "amount"),
            ("amount beyond 64 bits", '{"amount": %s}' % BIG_NUMBER, 400, "INVALID_REQUEST",
             None),
            ("amount -2^63", '{"amount": -9223372036854775808}', 400, "INVALID_REQUEST",
             "amount"),
        ]
        self.run_cases(self.buyer, "POST", "/v1/wallet/charges", cases)
        before = self.snapshot()
        r = self.buyer.post("/v1/wallet/charges", {"amount": 100})
        self.assertProblem(r, 400, "IDEMPOTENCY_KEY_REQUIRED")
        r = self.buyer.post("/v1/wallet/charges", "{bad")
        self.assertProblem(r, 400, "IDEMPOTENCY_KEY_REQUIRED")
        self.assertEqual(self.snapshot(), before)

    def test_payment(self):
        cases = self.common_cases() + [
            ("no reservationId", {"method": "POINTS"}, 400, "INVALID_REQUEST", "reservationId"),
            ("reservationId number", {"reservationId": 5, "method": "POINTS"}, 400,
             "INVALID_REQUEST", "reservationId"),
            ("no method", {"reservationId": self.held["id"]}, 400, "INVALID_REQUEST", "method"),
            ("method CARD", {"reservationId": self.held["id"], "method": "CARD"}, 400,
             "INVALID_REQUEST", "method"),
            ("method lower case", {"reservationId": self.held["id"], "method": "points"}, 400,
             "INVALID_REQUEST", "method"),
            ("unknown reservation", {"reservationId": "res_unknown", "method": "POINTS"}, 404,
             "NOT_FOUND", None),
            ("another user's reservation", {"reservationId": self.other_held["id"],
                                            "method": "POINTS"}, 404, "NOT_FOUND", None),
            ("paid reservation", {"reservationId": self.payment["reservationId"],
                                  "method": "POINTS"}, 409, "INVALID_STATE", None),
        ]
        self.run_cases(self.buyer, "POST", "/v1/payments", cases)
        before = self.snapshot()
        r = self.buyer.post("/v1/payments", {"reservationId": self.held["id"],
                                             "method": "POINTS"})
        self.assertProblem(r, 400, "IDEMPOTENCY_KEY_REQUIRED")
        self.assertEqual(self.snapshot(), before)

    def test_ticket_verify(self):
        cases = self.common_cases() + [
            ("no code", {"ticket": "x"}, 400, "INVALID_REQUEST", "code"),
            ("code number", {"code": 5}, 400, "INVALID_REQUEST", "code"),
            ("empty code", {"code": ""}, 400, "INVALID_REQUEST", "code"),
            ("long code", {"code": "c" * 257}, 400, "INVALID_REQUEST", "code"),
        ]
        self.run_cases(self.admin, "POST", "/v1/admin/tickets/verify", cases)

    # ---- queries and paths ------------------------------------------------------------------

    def test_list_queries(self):
        long_cursor = base64.urlsafe_b64encode(b"x" * 65).rstrip(b"=").decode()
        lists = [(self.anon, "/v1/concerts"), (self.buyer, "/v1/reservations"),
                 (self.buyer, "/v1/wallet/transactions"), (self.buyer, "/v1/tickets")]
        before = self.snapshot()
        for client, path in lists:
            for query, field in [("limit=0", "limit"), ("limit=101", "limit"),
                                 ("limit=abc", "limit"), ("limit=-1", "limit"),
                                 ("limit=", "limit"), ("limit=1.5", "limit"),
                                 ("limit=99999", "limit"), ("cursor=!!!", "cursor"),
                                 ("cursor=%zz", "cursor"), ("cursor=" + long_cursor, "cursor"),
                                 ("limit=5&cursor=@@@", "cursor")]:
                with self.subTest(path=path, query=query):
                    r = client.get(path + "?" + query)
                    self.assertProblem(r, 400, "INVALID_REQUEST", field)
            with self.subTest(path=path, query="limit=100"):
                self.assertStatus(client.get(path + "?limit=100"), 200)
                self.assertStatus(client.get(path + "?limit=1"), 200)

        path = "/v1/concerts/%s/schedules" % self.concert["id"]
        for query, field in [("from=yesterday", "from"), ("to=2027-13-01T00:00:00Z", "to"),
                             ("from=2027-01-01", "from"),
                             ("from=2027-02-01T00:00:00Z&to=2027-01-01T00:00:00Z", "from")]:
            with self.subTest(path=path, query=query):
                self.assertProblem(self.anon.get(path + "?" + query), 400, "INVALID_REQUEST",
                                   field)
        self.assertEqual(self.snapshot(), before)

    def test_unknown_ids_and_paths(self):
        before = self.snapshot()
        for client, method, path in [
            (self.anon, "GET", "/v1/concerts/con_unknown"),
            (self.anon, "GET", "/v1/concerts/con_unknown/schedules"),
            (self.anon, "GET", "/v1/schedules/sch_unknown"),
            (self.anon, "GET", "/v1/schedules/sch_unknown/seats"),
            (self.buyer, "GET", "/v1/reservations/res_unknown"),
            (self.buyer, "DELETE", "/v1/reservations/res_unknown"),
            (self.buyer, "DELETE", "/v1/reservations/" + self.other_held["id"]),
            (self.buyer, "GET", "/v1/payments/pay_unknown"),
            (self.anon, "GET", "/v1/nothing-here"),
            (self.anon, "GET", "/nothing-here"),
            (self.anon, "POST", "/v1/nothing-here"),
            (self.anon, "GET", "/v1/concerts/a/b/c/d"),
            (self.buyer, "GET", "/v2/concerts"),
        ]:
            with self.subTest(method=method, path=path):
                self.assertProblem(client.request(method, path), 404, "NOT_FOUND")
        self.assertEqual(self.snapshot(), before)
        self.assertEqual(self.other.get("/v1/reservations/" + self.other_held["id"])
                         .json["status"], "HELD")

    def test_malformed_http_is_a_problem(self):
        before = self.snapshot()
        for label, head in [
            ("garbage request line", b"HELLO THERE\r\n\r\n"),
            ("bad header line", b"GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n"),
            ("bad content length", b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\n"
                                   b"Content-Length: abc\r\n\r\n"),
        ]:
            with self.subTest(case=label):
                status, headers, raw = raw_http(self.server.host, self.server.port, head,
                                                answer_wait_s=0)
                self.assertEqual(status, 400, raw)
                self.assertTrue(headers.get("content-type", "").startswith(
                    "application/problem+json"), headers)
                self.assertEqual(json.loads(raw)["code"], "INVALID_REQUEST")
        self.assertEqual(self.snapshot(), before)
        self.assertStatus(self.anon.get("/healthz"), 200)

    # ---- body size --------------------------------------------------------------------------

    def _post_raw(self, path, body, token, extra=b""):
        head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Authorization: Bearer %s\r\nIdempotency-Key: %s\r\nContent-Length: %d\r\n"
                % (path, token, new_key(), len(body))).encode() + extra + b"\r\n"
        return raw_http(self.server.host, self.server.port, head, body)

    def test_body_over_one_mib_is_413(self):
        endpoints = [
            ("/v1/auth/signup", self.buyer_token,
             {"email": "big@example.com", "password": "long enough", "name": "Big"}),
            ("/v1/auth/login", self.buyer_token, {"email": "big@example.com",
                                                  "password": "long enough"}),
            ("/v1/admin/concerts", self.admin_token, {"name": "N", "artist": "A", "venue": "V"}),
            ("/v1/admin/concerts/%s/schedules" % self.concert["id"], self.admin_token,
             {"startsAt": "2027-01-01T00:00:00Z", "seats": []}),
            ("/v1/reservations", self.buyer_token, {"scheduleId": self.sch["id"],
                                                    "seatIds": [self.seats[2]]}),
            ("/v1/wallet/charges", self.buyer_token, {"amount": 100}),
            ("/v1/payments", self.buyer_token, {"reservationId": self.held["id"],
                                                "method": "POINTS"}),
            ("/v1/admin/tickets/verify", self.admin_token, {"code": "x.y"}),
        ]
        before = self.snapshot()
        for path, token, valid in endpoints:
            text = json.dumps(valid).encode()
            body = text[:-1] + b" " * (MIB + 1 - len(text)) + b"}"
            self.assertEqual(len(body), MIB + 1)
            with self.subTest(path=path):
                status, headers, raw = self._post_raw(path, body, token)
                self.assertEqual(status, 413, raw)
                self.assertTrue(headers.get("content-type", "").startswith(
                    "application/problem+json"), headers)
                problem = json.loads(raw)
                self.assertEqual(problem["code"], "PAYLOAD_TOO_LARGE")
                self.assertEqual(problem["status"], 413)
                self.assertTrue(problem["detail"])
        self.assertEqual(self.snapshot(), before)
        self.assertStatus(self.anon.get("/healthz"), 200)

    def test_chunked_body_over_one_mib_is_413(self):
        before = self.snapshot()
        text = json.dumps({"amount": 100}).encode()
        payload = text[:-1] + b" " * (MIB + 10) + b"}"
        chunks = b""
        for i in range(0, len(payload), 65536):
            piece = payload[i:i + 65536]
            chunks += b"%x\r\n" % len(piece) + piece + b"\r\n"
        chunks += b"0\r\n\r\n"
        head = ("POST /v1/wallet/charges HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                "Content-Type: application/json\r\nAuthorization: Bearer %s\r\n"
                "Idempotency-Key: %s\r\nTransfer-Encoding: chunked\r\n\r\n"
                % (self.buyer_token, new_key())).encode()
        status, headers, raw = raw_http(self.server.host, self.server.port, head, chunks,
                                        answer_wait_s=0.2)
        self.assertEqual(status, 413, raw)
        self.assertEqual(json.loads(raw)["code"], "PAYLOAD_TOO_LARGE")
        self.assertEqual(self.snapshot(), before)

    def test_body_of_exactly_one_mib_is_accepted(self):
        _, token = self.minted_user("usr-bad-mib")
        text = json.dumps({"amount": 123}).encode()
        body = text[:-1] + b" " * (MIB - len(text)) + b"}"
        self.assertEqual(len(body), MIB)
        status, headers, raw = self._post_raw("/v1/wallet/charges", body, token)
        self.assertEqual(status, 201, raw)
        self.assertEqual(json.loads(raw)["balance"], 123)
        self.assertEqual(self.balance(token), 123)


_DROP = object()


if __name__ == "__main__":
    unittest.main()

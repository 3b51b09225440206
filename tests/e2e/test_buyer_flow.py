"""A buyer's whole path through the API: accounts, catalog, holds, wallet, payment, tickets,
and the authentication and ownership rules around them."""

import base64
import json
import time
import unittest

from harness import ServerTestCase, metric_value, mint_token, new_key, parse_time


def claims_of(token):
    payload = token.split(".")[1]
    payload += "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(payload))


class BuyerFlowTest(ServerTestCase):

    # ---- accounts ---------------------------------------------------------------------------

    def test_signup_login_and_me(self):
        email = self.unique("alice") + "@Example.com"
        r, _ = self.signup(email=email, password="s3cret-passw0rd", name="Alice")
        self.assertStatus(r, 201)
        user_id = r.json["userId"]
        self.assertIsInstance(user_id, str)
        self.assertTrue(user_id)

        r, _ = self.signup(email=email, password="another-password", name="Mallory")
        self.assertProblem(r, 409, "EMAIL_TAKEN")
        r, _ = self.signup(email=email.upper(), password="another-password", name="Mallory")
        self.assertProblem(r, 409, "EMAIL_TAKEN", msg="emails differing only in case")

        r = self.login(email, "s3cret-passw0rd")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["tokenType"], "Bearer")
        self.assertIsInstance(r.json["expiresIn"], int)
        self.assertGreater(r.json["expiresIn"], 0)
        token = r.json["accessToken"]
        self.assertIsInstance(token, str)
        claims = claims_of(token)
        self.assertEqual(claims["sub"], user_id)
        self.assertEqual(claims["role"], "user")
        self.assertAlmostEqual(claims["exp"] - time.time(), r.json["expiresIn"], delta=120)

        r = self.login(email.upper(), "s3cret-passw0rd")
        self.assertStatus(r, 200, "the email of a login is not case-sensitive")
        self.assertProblem(self.login(email, "wrong-password"), 401, "INVALID_CREDENTIALS")
        self.assertProblem(self.login(email, "S3CRET-PASSW0RD"), 401, "INVALID_CREDENTIALS")
        self.assertProblem(self.login("nobody-" + email, "s3cret-passw0rd"), 401,
                           "INVALID_CREDENTIALS")

        r = self.user_client(token).get("/v1/me")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["id"], user_id)
        self.assertEqual(r.json["email"], email.lower())
        self.assertEqual(r.json["name"], "Alice")
        self.assertEqual(r.json["grade"], "BASIC")

    def test_tokens_from_the_command_line_and_from_the_secret(self):
        token = self.server.cli_token(user="usr-cli-7", grade="VIP")
        r = self.user_client(token).get("/v1/me")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["id"], "usr-cli-7")
        self.assertEqual(r.json["grade"], "VIP")

        token = self.server.mint("usr-minted-8", grade="GOLD")
        r = self.user_client(token).get("/v1/me")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["id"], "usr-minted-8")
        self.assertEqual(r.json["grade"], "GOLD")

        r = self.admin.get("/v1/me")
        self.assertStatus(r, 200)

    def test_authentication_failures_are_401(self):
        user_id, token = self.minted_user()
        expired = self.server.cli_token(user=user_id, ttl_seconds=1)
        other_secret = self.server.cli_token(user=user_id, secret="not-the-server-secret")
        head, payload, sig = token.split(".")
        forged_claims = claims_of(token)
        forged_claims["role"] = "admin"
        forged = ".".join([head, base64.urlsafe_b64encode(
            json.dumps(forged_claims).encode()).rstrip(b"=").decode(), sig])
        alg_none = (base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
                    + "." + payload + ".")
        no_exp = mint_token(self.server.secret, user_id, ttl_seconds=-10)
        no_sub = mint_token(self.server.secret, "")
        bad_grade = mint_token(self.server.secret, user_id, grade="PLATINUM")
        time.sleep(2.2)  # the 1 s token is now past its exp

        calls = [("GET", "/v1/me", None), ("GET", "/v1/wallet", None),
                 ("GET", "/v1/tickets", None), ("GET", "/v1/reservations", None),
                 ("POST", "/v1/reservations", {"scheduleId": "x", "seatIds": ["y"]}),
                 ("POST", "/v1/admin/concerts", {"name": "n", "artist": "a", "venue": "v"})]
        bad_headers = {
            "none": None,
            "garbage": "Bearer not-a-jwt",
            "empty bearer": "Bearer ",
            "basic": "Basic dXNlcjpwYXNz",
            "expired": "Bearer " + expired,
            "other secret": "Bearer " + other_secret,
            "forged claims": "Bearer " + forged,
            "alg none": "Bearer " + alg_none,
            "exp in the past": "Bearer " + no_exp,
            "empty sub": "Bearer " + no_sub,
            "unknown grade": "Bearer " + bad_grade,
            "two tokens": "Bearer " + token + " " + token,
        }
        for method, path, body in calls:
            for label, header in bad_headers.items():
                with self.subTest(path=path, token=label):
                    headers = {"Authorization": header} if header else None
                    r = self.anon.request(method, path, body=body, headers=headers, auth=False)
                    self.assertProblem(r, 401, "UNAUTHENTICATED")
        # The same token, unexpired and signed by the server's secret, is fine.
        self.assertStatus(self.user_client(token).get("/v1/me"), 200)

    def test_bearer_scheme_is_case_insensitive(self):
        # RFC 9110, 11.1: the authentication scheme is a case-insensitive token.
        user_id, token = self.minted_user()
        for scheme in ("Bearer", "bearer", "BEARER"):
            with self.subTest(scheme=scheme):
                r = self.anon.get("/v1/me", auth=False,
                                  headers={"Authorization": scheme + " " + token})
                self.assertStatus(r, 200)
                self.assertEqual(r.json["id"], user_id)

    def test_charge_bounds_and_a_new_wallet(self):
        _, token = self.minted_user()
        me = self.user_client(token)
        r = me.get("/v1/wallet")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["balance"], 0)
        r = me.get("/v1/wallet/transactions")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["items"], [])
        self.assertIsNone(r.json["nextCursor"])
        self.assertEqual(self.charge(token, 1)["balance"], 1)
        self.assertEqual(self.charge(token, 10000000)["balance"], 10000001)
        self.assertEqual(self.balance(token), 10000001)

    def test_non_admin_on_admin_routes_is_403(self):
        _, token = self.minted_user()
        user = self.user_client(token)
        concert = self.create_concert()
        before = self.list_all(self.anon, "/v1/concerts")
        for path, body in [
            ("/v1/admin/concerts", {"name": "n", "artist": "a", "venue": "v"}),
            ("/v1/admin/concerts/%s/schedules" % concert["id"],
             {"startsAt": "2027-01-01T00:00:00Z", "seats": [], "ticketTypes": []}),
            ("/v1/admin/tickets/verify", {"code": "x.y"}),
        ]:
            with self.subTest(path=path):
                self.assertProblem(user.post(path, body), 403, "FORBIDDEN")
        self.assertEqual(self.list_all(self.anon, "/v1/concerts"), before)
        r = self.anon.get("/v1/concerts/%s/schedules" % concert["id"])
        self.assertEqual(r.json["items"], [])

    # ---- catalog ----------------------------------------------------------------------------

    def test_concert_list_pagination_walks_every_concert_once(self):
        created = [self.create_concert(name="Paged %d" % i) for i in range(7)]
        for c in created:
            self.assertTrue(c["id"])
            self.assertTrue(c["name"].startswith("Paged "))
            self.assertEqual(c["artist"], "The E2E Band")
            self.assertEqual(c["venue"], "Loopback Hall")

        everything = self.list_all(self.anon, "/v1/concerts", limit=100)
        ids = [c["id"] for c in everything]
        self.assertEqual(len(ids), len(set(ids)))
        for c in created:
            self.assertIn(c, everything)

        for limit in (1, 3):
            with self.subTest(limit=limit):
                seen, cursor, pages = [], None, 0
                while True:
                    url = "/v1/concerts?limit=%d" % limit + ("&cursor=" + cursor if cursor else "")
                    r = self.anon.get(url)
                    self.assertStatus(r, 200)
                    self.assertIn("nextCursor", r.json)
                    self.assertLessEqual(len(r.json["items"]), limit)
                    pages += 1
                    seen += r.json["items"]
                    cursor = r.json["nextCursor"]
                    if cursor is None:
                        break
                    self.assertIsInstance(cursor, str)
                    self.assertEqual(len(r.json["items"]), limit, "a page before the last is full")
                self.assertEqual([c["id"] for c in seen], ids)
                # nextCursor is null on the last page, so no empty page follows a full one.
                self.assertEqual(pages, -(-len(ids) // limit))

        r = self.anon.get("/v1/concerts?limit=100")
        self.assertStatus(r, 200)
        self.assertIsNone(r.json["nextCursor"], "one page holds everything: nextCursor is null")
        r = self.anon.get("/v1/concerts")
        self.assertStatus(r, 200)
        self.assertEqual(len(r.json["items"]), min(20, len(ids)))

        one = self.anon.get("/v1/concerts/" + created[3]["id"])
        self.assertStatus(one, 200)
        self.assertEqual(one.json, created[3])
        self.assertLessEqual({"id", "name", "artist", "venue"}, set(one.json))
        self.assertProblem(self.anon.get("/v1/concerts/con_does_not_exist"), 404, "NOT_FOUND")

    def test_schedules_month_view_is_ordered_by_start(self):
        concert = self.create_concert()
        other = self.create_concert()
        self.create_schedule(other["id"], starts_at="2027-05-15T19:00:00Z", seats=[])
        starts = ["2027-05-20T19:00:00Z", "2027-06-01T00:00:00Z", "2027-05-03T18:00:00Z",
                  "2027-04-30T23:59:59Z", "2027-05-10T20:00:00+09:00", "2027-05-31T23:59:59Z"]
        made = {}
        for s in starts:
            sch = self.create_schedule(concert["id"], starts_at=s, seats=[],
                                       ticket_types=[{"name": "GA", "price": 1000,
                                                      "capacity": 10}])
            self.assertEqual(sch["concertId"], concert["id"])
            made[s] = sch
        self.assertEqual(made["2027-05-10T20:00:00+09:00"]["startsAt"], "2027-05-10T11:00:00Z")

        r = self.anon.get("/v1/concerts/%s/schedules" % concert["id"])
        self.assertStatus(r, 200)
        got = [s["startsAt"] for s in r.json["items"]]
        self.assertEqual(got, ["2027-04-30T23:59:59Z", "2027-05-03T18:00:00Z",
                               "2027-05-10T11:00:00Z", "2027-05-20T19:00:00Z",
                               "2027-05-31T23:59:59Z", "2027-06-01T00:00:00Z"])

        r = self.anon.get("/v1/concerts/%s/schedules?from=2027-05-01T00:00:00Z"
                          "&to=2027-06-01T00:00:00Z" % concert["id"])
        self.assertStatus(r, 200)
        self.assertEqual([s["startsAt"] for s in r.json["items"]],
                         ["2027-05-03T18:00:00Z", "2027-05-10T11:00:00Z",
                          "2027-05-20T19:00:00Z", "2027-05-31T23:59:59Z"])
        for s in r.json["items"]:
            self.assertEqual(s["concertId"], concert["id"])
            self.assertEqual(len(s["ticketTypes"]), 1)

        # The same month in Seoul time, with the offset's "+" escaped as %2B.
        r = self.anon.get("/v1/concerts/%s/schedules?from=2027-05-01T09:00:00%%2B09:00"
                          "&to=2027-06-01T09:00:00%%2B09:00" % concert["id"])
        self.assertStatus(r, 200)
        self.assertEqual([s["startsAt"] for s in r.json["items"]],
                         ["2027-05-03T18:00:00Z", "2027-05-10T11:00:00Z",
                          "2027-05-20T19:00:00Z", "2027-05-31T23:59:59Z"])

        r = self.anon.get("/v1/concerts/%s/schedules?from=2027-06-01T00:00:00Z"
                          "&to=2027-07-01T00:00:00Z" % concert["id"])
        self.assertEqual([s["startsAt"] for s in r.json["items"]], ["2027-06-01T00:00:00Z"])
        r = self.anon.get("/v1/concerts/%s/schedules?from=2027-08-01T00:00:00Z"
                          "&to=2027-09-01T00:00:00Z" % concert["id"])
        self.assertEqual(r.json["items"], [])

        sch = made["2027-05-20T19:00:00Z"]
        r = self.anon.get("/v1/schedules/" + sch["id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.json, sch)
        self.assertProblem(self.anon.get("/v1/schedules/sch_nope"), 404, "NOT_FOUND")
        self.assertProblem(self.anon.get("/v1/concerts/con_nope/schedules"), 404, "NOT_FOUND")

    def test_text_round_trips_exactly(self):
        names = ['Quote " and backslash \\ and slash /', "서울 콘서트 🎫",
                 "\u2028 line separator \u007f", "<script>&amp;</script>"]
        for name in names:
            with self.subTest(name=name):
                c = self.create_concert(name=name, artist=name + " artist", venue=name)
                self.assertEqual(c["name"], name)
                r = self.anon.get("/v1/concerts/" + c["id"])
                self.assertStatus(r, 200)
                self.assertEqual((r.json["name"], r.json["artist"], r.json["venue"]),
                                 (name, name + " artist", name))
                sch = self.create_schedule(c["id"], seats=[
                    {"section": name, "row": name, "number": 1, "grade": name, "price": 1}],
                    ticket_types=[{"name": name, "price": 1, "capacity": 1}])
                self.assertEqual(sch["ticketTypes"][0]["name"], name)
                (seat,) = self.seat_map(sch["id"])
                self.assertEqual((seat["section"], seat["row"], seat["grade"]),
                                 (name, name, name))
        r, email = self.signup(name="이름 \"quoted\" ✓")
        self.assertStatus(r, 201)
        login = self.login(email)
        me = self.user_client(login.json["accessToken"]).get("/v1/me")
        self.assertEqual(me.json["name"], '이름 "quoted" ✓')

    def test_schedule_creation_with_seat_rows_explicit_seats_and_ticket_types(self):
        concert = self.create_concert()
        sch = self.create_schedule(concert["id"], seat_rows={
            "sections": ["A", "B"], "rows": 2, "perRow": 3, "grade": "R", "price": 50000})
        self.assertEqual(sch["seatsTotal"], 12)
        self.assertEqual(sch["seatsAvailable"], 12)
        self.assertEqual(sch["ticketTypes"], [])
        seats = self.seat_map(sch["id"])
        self.assertEqual(len(seats), 12)
        self.assertEqual(len({s["id"] for s in seats}), 12)
        self.assertEqual({(s["section"], str(s["row"]), s["number"]) for s in seats},
                         {(sec, str(row), n) for sec in "AB" for row in (1, 2) for n in (1, 2, 3)})
        for s in seats:
            self.assertEqual(s["status"], "AVAILABLE")
            self.assertEqual(s["grade"], "R")
            self.assertEqual(s["price"], 50000)

        sch2 = self.create_schedule(
            concert["id"], starts_at="2027-03-15T19:00:00Z",
            seats=[{"section": "VIP", "row": "A", "number": 1, "grade": "VIP", "price": 150000},
                   {"section": "VIP", "row": "A", "number": 2, "grade": "VIP", "price": 150000},
                   {"section": "Floor", "row": 3, "number": 9, "grade": "S", "price": 99000}],
            ticket_types=[{"name": "Standing", "price": 30000, "capacity": 100}])
        self.assertEqual(sch2["seatsTotal"], 3)
        self.assertEqual(sch2["seatsAvailable"], 3)
        self.assertEqual(sch2["startsAt"], "2027-03-15T19:00:00Z")
        (tt,) = sch2["ticketTypes"]
        self.assertTrue(tt["id"])
        self.assertEqual((tt["name"], tt["price"], tt["capacity"], tt["available"]),
                         ("Standing", 30000, 100, 100))
        seats = {(s["section"], str(s["row"]), s["number"]): s for s in self.seat_map(sch2["id"])}
        self.assertEqual(set(seats), {("VIP", "A", 1), ("VIP", "A", 2), ("Floor", "3", 9)})
        self.assertEqual(seats[("Floor", "3", 9)]["price"], 99000)
        self.assertEqual(seats[("VIP", "A", 1)]["grade"], "VIP")

        empty = self.create_schedule(concert["id"], seats=[], ticket_types=[])
        self.assertEqual((empty["seatsTotal"], empty["seatsAvailable"]), (0, 0))
        self.assertEqual(self.seat_map(empty["id"]), [])

    # ---- holds, payments, tickets -----------------------------------------------------------

    def _seated_schedule(self):
        concert = self.create_concert()
        return self.create_schedule(concert["id"], seats=[
            {"section": "A", "row": "1", "number": n, "grade": "R" if n <= 2 else "S",
             "price": 50000 if n <= 2 else 70000} for n in range(1, 6)])

    def test_hold_charge_pay_and_tickets(self):
        user_id, token, _ = self.new_account(name="Payer")
        me = self.user_client(token)
        sch = self._seated_schedule()
        seats = self.seat_map(sch["id"])
        s1, s3 = seats[0]["id"], seats[2]["id"]
        self.assertEqual((seats[0]["price"], seats[2]["price"]), (50000, 70000))

        r = me.post("/v1/reservations", {"scheduleId": sch["id"], "seatIds": [s3, s1]})
        self.assertStatus(r, 201)
        res = r.json
        self.assertEqual(res["status"], "HELD")
        self.assertEqual(res["amount"], 120000)
        self.assertEqual(res["userId"], user_id)
        self.assertEqual(res["scheduleId"], sch["id"])
        self.assertEqual(res["seatIds"], [s3, s1])
        self.assertIsNone(res["ticketTypeId"])
        self.assertEqual(res["quantity"], 2)
        self.assertAlmostEqual(parse_time(res["expiresAt"]) - parse_time(res["createdAt"]), 300,
                               delta=0.01)
        self.assertLess(abs(parse_time(res["createdAt"]) - time.time()), 60)

        statuses = self.seat_statuses(sch["id"])
        self.assertEqual(statuses[s1], "HELD")
        self.assertEqual(statuses[s3], "HELD")
        self.assertEqual(sorted(statuses.values()).count("AVAILABLE"), 3)
        self.assertEqual(self.schedule(sch["id"])["seatsAvailable"], 3)

        r = me.get("/v1/reservations/" + res["id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.json, res)
        r = me.get("/v1/reservations")
        self.assertStatus(r, 200)
        self.assertEqual(r.json["items"][0], res)

        # Money moves only with an Idempotency-Key.
        self.assertProblem(me.post("/v1/wallet/charges", {"amount": 100000}), 400,
                           "IDEMPOTENCY_KEY_REQUIRED")
        self.assertProblem(me.post("/v1/payments", {"reservationId": res["id"],
                                                    "method": "POINTS"}),
                           400, "IDEMPOTENCY_KEY_REQUIRED")
        self.assertEqual(self.balance(token), 0)

        # Not enough points: refused, nothing changes.
        r = me.post("/v1/payments", {"reservationId": res["id"], "method": "POINTS"},
                    idempotency_key=new_key())
        self.assertProblem(r, 409, "INSUFFICIENT_BALANCE")
        self.assertEqual(me.get("/v1/reservations/" + res["id"]).json["status"], "HELD")
        self.assertEqual(self.seat_statuses(sch["id"])[s1], "HELD")
        self.assertEqual(me.get("/v1/tickets").json["items"], [])

        r = me.post("/v1/wallet/charges", {"amount": 100000}, idempotency_key=new_key())
        self.assertStatus(r, 201)
        self.assertEqual((r.json["amount"], r.json["balance"]), (100000, 100000))
        self.assertTrue(r.json["transactionId"])
        charge1 = r.json
        charge2 = self.charge(token, 50000)
        self.assertEqual(charge2["balance"], 150000)
        self.assertEqual(self.balance(token), 150000)

        r = me.post("/v1/payments", {"reservationId": res["id"], "method": "POINTS"},
                    idempotency_key=new_key())
        self.assertStatus(r, 201)
        pay = r.json
        self.assertEqual(pay["reservationId"], res["id"])
        self.assertEqual(pay["method"], "POINTS")
        self.assertEqual(pay["amount"], 120000)
        self.assertEqual(pay["status"], "PAID")
        self.assertEqual(len(pay["tickets"]), 2)
        self.assertEqual(sorted(t["seatId"] for t in pay["tickets"]), sorted([s1, s3]))
        for t in pay["tickets"]:
            self.assertEqual(t["reservationId"], res["id"])
            self.assertEqual(t["scheduleId"], sch["id"])
            self.assertEqual(t["status"], "VALID")
            self.assertIsNone(t["ticketTypeId"])
            self.assertTrue(t["id"])
            self.assertTrue(t["code"])
        self.assertEqual(len({t["code"] for t in pay["tickets"]}), 2)

        statuses = self.seat_statuses(sch["id"])
        self.assertEqual((statuses[s1], statuses[s3]), ("SOLD", "SOLD"))
        self.assertEqual(sorted(statuses.values()).count("AVAILABLE"), 3)
        self.assertEqual(self.schedule(sch["id"])["seatsAvailable"], 3)
        self.assertEqual(me.get("/v1/reservations/" + res["id"]).json["status"], "PAID")

        self.assertEqual(self.balance(token), 30000)
        txs = self.list_all(me, "/v1/wallet/transactions")
        shape = [(t["kind"], t["amount"], t["balanceAfter"]) for t in txs]
        expected = [("CHARGE", 100000, 100000), ("CHARGE", 50000, 150000),
                    ("PAYMENT", 120000, 30000)]
        self.assertIn(shape, (expected, expected[::-1]), "transactions in order of time")
        ids = [t["id"] for t in txs]
        self.assertEqual(len(set(ids)), 3)
        self.assertIn(charge1["transactionId"], ids)
        self.assertIn(charge2["transactionId"], ids)
        for t in txs:
            parse_time(t["createdAt"])

        self.assertEqual(self.list_all(me, "/v1/wallet/transactions", limit=1), txs)
        self.assertEqual(self.list_all(me, "/v1/tickets", limit=1),
                         self.list_all(me, "/v1/tickets", limit=100))

        r = me.get("/v1/payments/" + pay["id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.json, pay)
        r = me.get("/v1/tickets")
        self.assertStatus(r, 200)
        self.assertEqual(sorted(r.json["items"], key=lambda t: t["id"]),
                         sorted(pay["tickets"], key=lambda t: t["id"]))

        # The gate checks codes.
        for t in pay["tickets"]:
            r = self.admin.post("/v1/admin/tickets/verify", {"code": t["code"]})
            self.assertStatus(r, 200)
            self.assertIs(r.json["valid"], True)
            self.assertEqual(r.json["ticket"]["id"], t["id"])
            self.assertEqual(r.json["ticket"]["seatId"], t["seatId"])
        code = pay["tickets"][0]["code"]
        tampered = [code[:-1] + ("A" if code[-1] != "A" else "B"),
                    pay["tickets"][1]["id"] + code[code.index("."):],
                    code.split(".")[0] + ".", "no-such-ticket.abc", "garbage"]
        for bad in tampered:
            with self.subTest(code=bad):
                r = self.admin.post("/v1/admin/tickets/verify", {"code": bad})
                self.assertStatus(r, 200)
                self.assertIs(r.json["valid"], False)
        self.assertProblem(me.post("/v1/admin/tickets/verify", {"code": code}), 403, "FORBIDDEN")

        # A paid reservation is neither paid twice nor cancelled.
        r = me.post("/v1/payments", {"reservationId": res["id"], "method": "POINTS"},
                    idempotency_key=new_key())
        self.assertProblem(r, 409, "INVALID_STATE")
        self.assertProblem(me.delete("/v1/reservations/" + res["id"]), 409, "INVALID_STATE")
        self.assertEqual(self.balance(token), 30000)
        self.assertEqual(len(me.get("/v1/tickets").json["items"]), 2)
        self.assertEqual(self.seat_statuses(sch["id"])[s1], "SOLD")

        # Someone else cannot hold a sold seat.
        _, other = self.minted_user()
        r = self.user_client(other).post("/v1/reservations",
                                         {"scheduleId": sch["id"], "seatIds": [s1]})
        self.assertProblem(r, 409, "SEAT_UNAVAILABLE")

        metrics = self.anon.get("/metrics")
        self.assertGreaterEqual(metric_value(metrics.raw.decode(), "boxoffice_sales_total"), 1)

    def test_cancel_a_hold_releases_its_seats(self):
        _, token = self.minted_user()
        me = self.user_client(token)
        sch = self._seated_schedule()
        seats = [s["id"] for s in self.seat_map(sch["id"])]
        r = me.post("/v1/reservations", {"scheduleId": sch["id"], "seatIds": seats[3:5]})
        self.assertStatus(r, 201)
        res = r.json
        self.assertEqual(res["amount"], 140000)
        self.assertEqual(self.schedule(sch["id"])["seatsAvailable"], 3)

        r = me.delete("/v1/reservations/" + res["id"])
        self.assertStatus(r, 200)
        self.assertEqual(r.json["status"], "CANCELLED")
        self.assertEqual(r.json["id"], res["id"])
        self.assertEqual(set(self.seat_statuses(sch["id"]).values()), {"AVAILABLE"})
        self.assertEqual(self.schedule(sch["id"])["seatsAvailable"], 5)
        self.assertEqual(me.get("/v1/reservations/" + res["id"]).json["status"], "CANCELLED")

        self.assertProblem(me.delete("/v1/reservations/" + res["id"]), 409, "INVALID_STATE")
        self.charge(token, 500000)
        r = me.post("/v1/payments", {"reservationId": res["id"], "method": "POINTS"},
                    idempotency_key=new_key())
        self.assertProblem(r, 409, "INVALID_STATE")
        self.assertEqual(self.balance(token), 500000)
        self.assertEqual(me.get("/v1/tickets").json["items"], [])

        _, other = self.minted_user()
        r = self.user_client(other).post("/v1/reservations",
                                         {"scheduleId": sch["id"], "seatIds": seats[3:5]})
        self.assertStatus(r, 201)
        self.assertEqual(self.seat_statuses(sch["id"])[seats[3]], "HELD")

    def test_general_admission_by_ticket_type_and_quantity(self):
        concert = self.create_concert()
        sch = self.create_schedule(concert["id"], seats=[], ticket_types=[
            {"name": "Standing", "price": 30000, "capacity": 5},
            {"name": "Balcony", "price": 45000, "capacity": 2}])
        standing = next(t for t in sch["ticketTypes"] if t["name"] == "Standing")
        balcony = next(t for t in sch["ticketTypes"] if t["name"] == "Balcony")

        def available(type_id):
            return next(t["available"] for t in self.schedule(sch["id"])["ticketTypes"]
                        if t["id"] == type_id)

        _, token = self.minted_user()
        me = self.user_client(token)
        r = me.post("/v1/reservations", {"scheduleId": sch["id"], "ticketTypeId": standing["id"],
                                         "quantity": 3})
        self.assertStatus(r, 201)
        res = r.json
        self.assertEqual((res["status"], res["amount"], res["quantity"], res["ticketTypeId"]),
                         ("HELD", 90000, 3, standing["id"]))
        self.assertEqual(res["seatIds"], [])
        self.assertEqual(available(standing["id"]), 2)
        self.assertEqual(available(balcony["id"]), 2)

        _, other_token = self.minted_user()
        other = self.user_client(other_token)
        r = other.post("/v1/reservations", {"scheduleId": sch["id"],
                                            "ticketTypeId": standing["id"], "quantity": 3})
        self.assertProblem(r, 409, "SOLD_OUT")
        self.assertEqual(available(standing["id"]), 2)

        r = other.post("/v1/reservations", {"scheduleId": sch["id"],
                                            "ticketTypeId": standing["id"], "quantity": 2})
        self.assertStatus(r, 201)
        other_res = r.json
        self.assertEqual(available(standing["id"]), 0)
        self.assertStatus(other.delete("/v1/reservations/" + other_res["id"]), 200)
        self.assertEqual(available(standing["id"]), 2)

        self.charge(token, 100000)
        r = me.post("/v1/payments", {"reservationId": res["id"], "method": "POINTS"},
                    idempotency_key=new_key())
        self.assertStatus(r, 201)
        self.assertEqual(r.json["amount"], 90000)
        self.assertEqual(len(r.json["tickets"]), 3)
        for t in r.json["tickets"]:
            self.assertEqual(t["ticketTypeId"], standing["id"])
            self.assertIsNone(t["seatId"])
            self.assertEqual(t["status"], "VALID")
        self.assertEqual(available(standing["id"]), 2)
        self.assertEqual(self.balance(token), 10000)
        self.assertEqual(len(me.get("/v1/tickets").json["items"]), 3)
        r = self.admin.post("/v1/admin/tickets/verify", {"code": r.json["tickets"][2]["code"]})
        self.assertIs(r.json["valid"], True)

    def test_ten_seats_or_units_is_the_most_per_reservation(self):
        concert = self.create_concert()
        sch = self.create_schedule(concert["id"], seat_rows={
            "sections": ["A"], "rows": 1, "perRow": 11, "grade": "R", "price": 100},
            ticket_types=[{"name": "GA", "price": 50, "capacity": 20}])
        seats = [s["id"] for s in self.seat_map(sch["id"])]
        tt = sch["ticketTypes"][0]["id"]
        _, token = self.minted_user()
        me = self.user_client(token)
        r = me.post("/v1/reservations", {"scheduleId": sch["id"], "seatIds": seats})
        self.assertProblem(r, 400, "INVALID_REQUEST", "seatIds")
        r = me.post("/v1/reservations", {"scheduleId": sch["id"], "ticketTypeId": tt,
                                         "quantity": 11})
        self.assertProblem(r, 400, "INVALID_REQUEST", "quantity")
        self.assertEqual(self.schedule(sch["id"])["seatsAvailable"], 11)

        r = me.post("/v1/reservations", {"scheduleId": sch["id"], "seatIds": seats[:10]})
        self.assertStatus(r, 201)
        self.assertEqual((r.json["quantity"], r.json["amount"]), (10, 1000))
        r = me.post("/v1/reservations", {"scheduleId": sch["id"], "ticketTypeId": tt,
                                         "quantity": 10})
        self.assertStatus(r, 201)
        self.assertEqual((r.json["quantity"], r.json["amount"]), (10, 500))
        after = self.schedule(sch["id"])
        self.assertEqual(after["seatsAvailable"], 1)
        self.assertEqual(after["ticketTypes"][0]["available"], 10)

    def test_reservations_list_is_newest_first_and_paginated(self):
        concert = self.create_concert()
        sch = self.create_schedule(concert["id"], seats=[], ticket_types=[
            {"name": "GA", "price": 1000, "capacity": 100}])
        tt = sch["ticketTypes"][0]["id"]
        _, token = self.minted_user()
        me = self.user_client(token)
        made = []
        for q in range(1, 6):
            r = me.post("/v1/reservations", {"scheduleId": sch["id"], "ticketTypeId": tt,
                                             "quantity": q})
            self.assertStatus(r, 201)
            made.append(r.json["id"])
            time.sleep(0.002)
        r = me.get("/v1/reservations?limit=2")
        self.assertStatus(r, 200)
        self.assertEqual(len(r.json["items"]), 2)
        self.assertIsNotNone(r.json["nextCursor"])
        listed = self.list_all(me, "/v1/reservations", limit=2)
        self.assertEqual([x["id"] for x in listed], made[::-1])
        self.assertEqual([x["quantity"] for x in listed], [5, 4, 3, 2, 1])

    def test_other_users_resources_are_not_found(self):
        a_id, a_token = self.minted_user("usr-a")
        b_id, b_token = self.minted_user("usr-b")
        a, b = self.user_client(a_token), self.user_client(b_token)
        sch = self._seated_schedule()
        seat = self.seat_map(sch["id"])[0]["id"]
        r = a.post("/v1/reservations", {"scheduleId": sch["id"], "seatIds": [seat]})
        self.assertStatus(r, 201)
        res = r.json
        self.charge(b_token, 1000000)

        self.assertProblem(b.get("/v1/reservations/" + res["id"]), 404, "NOT_FOUND")
        self.assertProblem(b.delete("/v1/reservations/" + res["id"]), 404, "NOT_FOUND")
        r = b.post("/v1/payments", {"reservationId": res["id"], "method": "POINTS"},
                   idempotency_key=new_key())
        self.assertProblem(r, 404, "NOT_FOUND")
        self.assertEqual(self.balance(b_token), 1000000)
        self.assertEqual(b.get("/v1/tickets").json["items"], [])
        self.assertEqual(b.get("/v1/reservations").json["items"], [])
        self.assertEqual(a.get("/v1/reservations/" + res["id"]).json["status"], "HELD")
        self.assertEqual(self.seat_statuses(sch["id"])[seat], "HELD")

        self.charge(a_token, 50000)
        r = a.post("/v1/payments", {"reservationId": res["id"], "method": "POINTS"},
                   idempotency_key=new_key())
        self.assertStatus(r, 201)
        pay = r.json
        self.assertProblem(b.get("/v1/payments/" + pay["id"]), 404, "NOT_FOUND")
        self.assertProblem(b.get("/v1/payments/pay_does_not_exist"), 404, "NOT_FOUND")
        self.assertEqual(b.get("/v1/tickets").json["items"], [])
        self.assertEqual(self.balance(b_token), 1000000)
        self.assertEqual(self.balance(a_token), 0)
        self.assertStatus(a.get("/v1/payments/" + pay["id"]), 200)

    # ---- operations -------------------------------------------------------------------------

    def test_operations_endpoints(self):
        r = self.anon.get("/healthz")
        self.assertStatus(r, 200)
        r = self.anon.get("/readyz")
        self.assertStatus(r, 200)
        r = self.anon.get("/metrics")
        self.assertStatus(r, 200)
        self.assertTrue(r.content_type.startswith("text/plain"), r.content_type)
        text = r.raw.decode()
        self.assertIn("boxoffice_http_requests_total", text)
        self.assertIn("boxoffice_sales_total", text)
        self.assertIsNotNone(metric_value(text, "boxoffice_sales_total"))
        self.assertRegex(text, r'boxoffice_http_requests_total\{[^}]*status="200"[^}]*\} \d')
        r = self.anon.get("/openapi.yaml")
        self.assertStatus(r, 200)
        self.assertIn("openapi", r.raw.decode())
        self.assertIn("/v1/reservations", r.raw.decode())
        self.assertProblem(self.anon.get("/v1/no/such/thing"), 404, "NOT_FOUND")


if __name__ == "__main__":
    unittest.main()

"""`boxoffice bench` against a real server: every scenario at small sizes with --json (the
JSON's shape, statuses summing to requests, the sale checks holding and agreeing with what the
API shows), an open-loop run, the secret read from a data directory, reruns that do not
collide, and setup failures reported clearly. ServerTestCase audits the data afterwards.

No assertion depends on speed: the machine is shared and noisy."""

import json
import os
import socket
import subprocess
import tempfile
import unittest

from harness import ServerTestCase, clean_env, metric_value, mint_token

BENCH_TIMEOUT_S = 300
SCENARIOS = ["healthz", "browse", "flash-sale", "ga-sale", "pay", "queue", "queue-status"]
PERCENTILES = ["p50", "p90", "p99", "p999", "max"]


class BenchTest(ServerTestCase):
    # The queue scenarios join from one address far faster than the default allows.
    extra_args = ("--queue-joins-per-address-per-minute", "10000000")

    def target(self):
        return "http://127.0.0.1:%d" % self.server.port

    def run_bench(self, scenario, *args, secret=True, env=None, target=True):
        cmd = [self.server.bin, "bench", scenario]
        if target:
            cmd += ["--target", self.target()]
        if secret:
            cmd += ["--jwt-secret", self.server.secret]
        cmd += list(args)
        child_env = clean_env()
        child_env.update(env or {})
        return subprocess.run(cmd, capture_output=True, text=True, timeout=BENCH_TIMEOUT_S,
                              env=child_env)

    def bench_json(self, scenario, *args, **kw):
        """Runs a short closed-loop (unless args say otherwise) --json run that must succeed;
        returns its report after checking the shape every report has."""
        out = self.run_bench(scenario, "--json", "--duration", "1", "--connections", "4",
                             *args, **kw)
        self.assertEqual(out.returncode, 0, "stdout:\n%s\nstderr:\n%s" % (out.stdout, out.stderr))
        report = json.loads(out.stdout)  # exactly one JSON document on stdout
        self.assertIsInstance(report, dict)
        self.assertEqual(report["scenario"], scenario)
        for key in ["durationSeconds", "requests", "throughputPerSecond", "latencyMs",
                    "statuses", "errors", "invariantsOk", "httpRequests", "runId", "mode"]:
            self.assertIn(key, report)
        self.assertGreater(report["requests"], 0, report)
        self.assertEqual(report["errors"], 0, report)
        self.assertEqual(sum(report["statuses"].values()), report["requests"], report)
        for status in report["statuses"]:
            self.assertRegex(status, r"^[1-5][0-9][0-9]$")
        latency = report["latencyMs"]
        values = [latency[p] for p in PERCENTILES]
        self.assertEqual(values, sorted(values), latency)
        self.assertGreaterEqual(values[0], 0)
        self.assertGreater(report["durationSeconds"], 0)
        self.assertAlmostEqual(report["throughputPerSecond"],
                               report["requests"] / report["durationSeconds"],
                               delta=0.01 * report["throughputPerSecond"] + 1)
        return report

    def test_healthz(self):
        report = self.bench_json("healthz")
        self.assertEqual(list(report["statuses"]), ["200"])
        self.assertIsNone(report["invariantsOk"])
        self.assertEqual(report["mode"], "closed")
        self.assertEqual(report["httpRequests"], report["requests"])

    def test_browse(self):
        report = self.bench_json("browse", "--seats", "50")
        self.assertEqual(list(report["statuses"]), ["200"])
        self.assertIsNone(report["invariantsOk"])
        concert = report["setup"]["concertId"]
        r = self.anon.get("/v1/concerts/%s/schedules?from=2030-06-01T00:00:00Z"
                          "&to=2030-07-01T00:00:00Z" % concert)
        self.assertStatus(r, 200)
        self.assertEqual(len(r.json["items"]), report["setup"]["schedules"])
        self.assertEqual(r.json["items"][0]["seatsTotal"], 50)

    def test_flash_sale(self):
        report = self.bench_json("flash-sale", "--seats", "200", "--users", "50")
        self.assertIs(report["invariantsOk"], True, report["invariants"])
        self.assertTrue(all(c["ok"] for c in report["invariants"]))
        self.assertLessEqual(set(report["statuses"]), {"201", "409"})
        setup = report["setup"]
        self.assertEqual(report["statuses"].get("201", 0), setup["holdsGranted"])
        # What the API shows agrees with the report: the held seats are exactly those granted.
        statuses = self.seat_statuses(setup["scheduleId"])
        self.assertEqual(len(statuses), 200)
        held = sum(1 for s in statuses.values() if s == "HELD")
        self.assertEqual(held, setup["seatsHeld"])
        self.assertLessEqual(held, 200)

    def test_ga_sale(self):
        report = self.bench_json("ga-sale", "--capacity", "300", "--quantity-max", "3")
        self.assertIs(report["invariantsOk"], True, report["invariants"])
        self.assertLessEqual(set(report["statuses"]), {"201", "409"})
        setup = report["setup"]
        schedule = self.schedule(setup["scheduleId"])
        [ticket_type] = schedule["ticketTypes"]
        self.assertEqual(ticket_type["capacity"], 300)
        self.assertEqual(300 - ticket_type["available"], setup["unitsHeld"])
        self.assertLessEqual(setup["unitsHeld"], 300)

    def test_queue(self):
        report = self.bench_json("queue", "--admit-per-second", "50", "--max-active", "20",
                                 "--active-ttl-seconds", "60")
        self.assertIs(report["invariantsOk"], True, report["invariants"])
        self.assertEqual(set(report["statuses"]), {"201"}, report["statuses"])
        setup = report["setup"]
        self.assertEqual(setup["placesGiven"], report["requests"])
        self.assertGreater(setup["placesReadBack"], 0)
        # The server counted at least the places the run was given (other tests add theirs).
        metrics = self.anon.get("/metrics").raw.decode()
        self.assertGreaterEqual(metric_value(metrics, "boxoffice_queue_tokens_issued_total"),
                                setup["placesGiven"])

    def test_queue_status(self):
        report = self.bench_json("queue-status", "--users", "30")
        self.assertIs(report["invariantsOk"], True, report["invariants"])
        self.assertEqual(set(report["statuses"]), {"200"}, report["statuses"])
        self.assertEqual(report["setup"]["places"], 30)

    def test_pay(self):
        report = self.bench_json("pay", "--seats", "300", "--users", "20")
        self.assertIs(report["invariantsOk"], True, report["invariants"])
        self.assertLessEqual(set(report["statuses"]), {"201", "409"})
        steps = {s["name"]: s for s in report["steps"]}
        self.assertEqual(list(steps), ["hold", "charge", "pay"])
        # Each flow is one request of the report; its HTTP requests are the steps it made.
        self.assertEqual(steps["hold"]["requests"] + steps["hold"]["errors"],
                         report["requests"] + report["errors"])
        self.assertEqual(sum(s["requests"] + s["errors"] for s in steps.values()),
                         report["httpRequests"])
        for step in steps.values():
            self.assertEqual(sum(step["statuses"].values()), step["requests"])
        setup = report["setup"]
        self.assertEqual(report["statuses"].get("201", 0), setup["flowsPaid"])
        self.assertEqual(steps["pay"]["statuses"].get("201", 0), setup["flowsPaid"])
        self.assertGreater(setup["flowsPaid"], 0)
        self.assertEqual(setup["ticketsListed"], setup["ticketsInAnswers"])
        statuses = self.seat_statuses(setup["scheduleId"])
        self.assertEqual(sum(1 for s in statuses.values() if s == "SOLD"), setup["seatsSold"])
        self.assertEqual(setup["seatsSold"], setup["ticketsInAnswers"])

    def test_open_loop_sends_the_schedule(self):
        report = self.bench_json("flash-sale", "--seats", "1000", "--rate", "100",
                                 "--duration", "2")
        self.assertEqual(report["mode"], "open")
        self.assertEqual(report["ratePerSecond"], 100)
        self.assertEqual(report["scheduled"], 200)
        self.assertEqual(report["requests"] + report["errors"] + report["unsent"], 200)
        self.assertIs(report["invariantsOk"], True, report["invariants"])

    def test_distinct_seats_never_ask_for_one_seat_twice(self):
        # 200 single-seat holds over 1,000 seats: picked at random, two would almost surely
        # collide (a 409); in the shared shuffled order every one is taken.
        report = self.bench_json("flash-sale", "--seats", "1000", "--seats-per-hold-max", "1",
                                 "--distinct-seats", "--rate", "100", "--duration", "2")
        self.assertGreater(report["requests"], 150)
        self.assertEqual(report["statuses"], {"201": report["requests"]})
        self.assertIs(report["invariantsOk"], True, report["invariants"])

    def test_flash_sale_through_the_waiting_room(self):
        # Every buyer is admitted before the load and each hold sends its buyer's Queue-Token:
        # no hold is refused at the gate, while the room is on for anyone without a token.
        report = self.bench_json("flash-sale", "--seats", "1000", "--users", "30",
                                 "--seats-per-hold-max", "1", "--distinct-seats",
                                 "--through-waiting-room", "--rate", "100", "--duration", "2")
        self.assertGreater(report["requests"], 150)
        self.assertEqual(report["statuses"], {"201": report["requests"]})
        self.assertEqual(report["setup"]["buyersAdmitted"], 30)
        self.assertIs(report["invariantsOk"], True, report["invariants"])
        free = [seat for seat, status in self.seat_statuses(report["setup"]["scheduleId"]).items()
                if status == "AVAILABLE"]
        _, token = self.minted_user()
        r = self.user_client(token).post(
            "/v1/reservations", {"scheduleId": report["setup"]["scheduleId"], "seatIds": free[:1]})
        self.assertProblem(r, 403, "QUEUE_TOKEN_REQUIRED")

    def test_reruns_use_fresh_users(self):
        first = self.bench_json("pay", "--seats", "100", "--users", "5")
        second = self.bench_json("pay", "--seats", "100", "--users", "5")
        self.assertNotEqual(first["runId"], second["runId"])
        self.assertIs(second["invariantsOk"], True, second["invariants"])
        self.assertGreater(second["setup"]["flowsPaid"], 0)

    def test_secret_from_data_dir_and_flags_from_environment(self):
        with tempfile.TemporaryDirectory() as data_dir:
            with open(os.path.join(data_dir, "jwt-secret"), "w") as f:
                f.write(self.server.secret + "\n")
            report = self.bench_json("ga-sale", "--capacity", "20", secret=False, target=False,
                                     env={"BOXOFFICE_DATA_DIR": data_dir,
                                          "BOXOFFICE_TARGET": self.target()})
        self.assertIs(report["invariantsOk"], True, report["invariants"])

    def test_table_by_default(self):
        out = self.run_bench("ga-sale", "--duration", "0.5", "--capacity", "10")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("latency ms", out.stdout)
        self.assertIn("capacity - available equals the units held", out.stdout)
        self.assertRaises(ValueError, json.loads, out.stdout)

    def test_setup_failure_is_reported(self):
        out = self.run_bench("flash-sale", "--duration", "1", secret=False, target=True,
                             env={"BOXOFFICE_JWT_SECRET": "not-the-secret"})
        self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
        self.assertIn("setup failed", out.stderr)
        self.assertIn("401 UNAUTHENTICATED", out.stderr)
        self.assertEqual(out.stdout, "")
        # A minted non-admin token cannot prepare data either: the check is the server's.
        self.assertEqual(self.admin.get("/v1/me").status, 200)
        user = mint_token(self.server.secret, "usr-bench-e2e")
        self.assertEqual(self.anon.post("/v1/admin/concerts", {"name": "n", "artist": "a",
                                                               "venue": "v"},
                                        token=user).status, 403)

    def test_unreachable_target_is_a_setup_failure(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # closed when the block ends: nothing listens there
        for scenario in SCENARIOS:
            with self.subTest(scenario=scenario):
                out = self.run_bench(scenario, "--duration", "1", "--target",
                                     "http://127.0.0.1:%d" % port, target=False)
                self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
                self.assertIn("setup failed", out.stderr)
                self.assertIn("connect", out.stderr)

    def test_usage_errors(self):
        for args, words in [
            (["nope"], "nope"),
            (["--target", "https://x"], "http://"),
            (["--target", self.target(), "--seats", "1234"], "multiple of 100"),
        ]:
            with self.subTest(args=args):
                cmd = [self.server.bin, "bench"] + (["healthz"] if args[0] != "nope" else []) + args
                cmd += ["--jwt-secret", self.server.secret]
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                                     env=clean_env())
                self.assertEqual(out.returncode, 2, out.stdout + out.stderr)
                self.assertIn(words, out.stdout + out.stderr)

    def test_help_lists_scenarios_and_options(self):
        out = self.server.cli("bench", "--help")
        self.assertEqual(out.returncode, 0, out.stderr)
        for word in SCENARIOS + ["--target", "--connections", "--duration", "--rate", "--json",
                                 "--threads", "--data-dir", "--jwt-secret", "--seats",
                                 "--capacity", "BOXOFFICE_TARGET"]:
            self.assertIn(word, out.stdout)


if __name__ == "__main__":
    unittest.main()

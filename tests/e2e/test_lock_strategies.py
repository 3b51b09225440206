"""`boxoffice bench lock-strategies` against a real PostgreSQL and Redis of its own.

The module starts one throwaway PostgreSQL cluster (fsync and synchronous_commit on) and one
Redis server on free loopback ports, runs the experiment with small sizes, and checks its JSON,
that every strategy is consistent, that with a small capacity each strategy sells exactly that
capacity, and, with its own query, that the purchase rows in the database say the same.
"""

import json
import os
import subprocess
import unittest

import harness
import services

STRATEGIES = ["pessimistic", "optimistic", "redis-lock", "atomic", "batched"]
RUN_TIMEOUT_S = 120
WORKERS = "8"
SMALL_CAPACITY = 50


class LockStrategiesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = services.PostgresCluster(max_connections=200)
        cls.addClassCleanup(cls.pg.stop)
        cls.pg.start()
        cls.redis = services.RedisServer()
        cls.addClassCleanup(cls.redis.stop)
        cls.redis.start()
        cls.store = cls.pg.create_database("lockbench_e2e")

    def bench(self, *args, env=None):
        """Runs `boxoffice bench lock-strategies ARGS`; returns (exit code, stdout, stderr)."""
        proc = subprocess.run(
            [harness.binary(), "bench", "lock-strategies", *args],
            capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
            env=env if env is not None else harness.clean_env())
        return proc.returncode, proc.stdout, proc.stderr

    def bench_json(self, *args):
        rc, out, err = self.bench("--store", self.store, "--redis", self.redis.url(),
                                  "--json", *args)
        self.assertEqual(rc, 0, "exit %d\nstdout: %s\nstderr: %s" % (rc, out, err))
        lines = out.strip().splitlines()
        self.assertEqual(len(lines), 1, "expected exactly one JSON line, got: %r" % out)
        return json.loads(lines[0])

    def stored_rows(self):
        """{strategy: (capacity, sold, purchase rows)} from the database itself."""
        rows = self.pg.query("lockbench_e2e", """
            SELECT t.strategy, t.capacity, t.sold,
                   (SELECT count(*) FROM lockbench.purchases p WHERE p.ticket_type_id = t.id)
            FROM lockbench.ticket_types t ORDER BY t.id""")
        return {r[0]: (int(r[1]), int(r[2]), int(r[3])) for r in rows}

    def check_shape(self, entry):
        for key, kind in [("strategy", str), ("workers", int), ("attempts", int),
                          ("throughputPerSecond", (int, float)),
                          ("purchasesPerSecond", (int, float)), ("purchased", int),
                          ("soldOut", int), ("failures", int), ("failuresByKind", dict),
                          ("retries", int), ("latencyMs", dict), ("consistent", bool),
                          ("problems", list), ("stored", dict), ("counters", dict),
                          ("workersStopped", int), ("elapsedSeconds", (int, float))]:
            self.assertIsInstance(entry.get(key), kind, "%s in %s" % (key, entry))
        self.assertIn("firstError", entry)
        latency = entry["latencyMs"]
        for key in ["mean", "p50", "p90", "p99", "p999", "max"]:
            self.assertIsInstance(latency.get(key), (int, float), key)
        self.assertLessEqual(latency["p50"], latency["p99"])
        self.assertLessEqual(latency["p99"], latency["max"])
        self.assertEqual(sorted(entry["failuresByKind"]),
                         ["deadlocks", "errors", "lockTimeouts", "retriesExhausted"])
        self.assertEqual(entry["failures"], sum(entry["failuresByKind"].values()))
        self.assertEqual(entry["attempts"],
                         entry["purchased"] + entry["soldOut"] + entry["failures"])
        self.assertGreater(entry["attempts"], 0)
        self.assertGreater(entry["throughputPerSecond"], 0)
        self.assertEqual(entry["workersStopped"], 0, entry)

    def test_every_strategy_is_consistent_when_capacity_is_large(self):
        report = self.bench_json("--duration", "1", "--workers", WORKERS)
        self.assertEqual([s["strategy"] for s in report["strategies"]], STRATEGIES)
        self.assertTrue(report["consistent"])
        self.assertEqual(report["settings"]["postgres"]["synchronousCommit"], "on")
        self.assertEqual(report["settings"]["postgres"]["fsync"], "on")
        stored = self.stored_rows()
        for entry in report["strategies"]:
            with self.subTest(strategy=entry["strategy"]):
                self.check_shape(entry)
                self.assertTrue(entry["consistent"], entry)
                self.assertEqual(entry["problems"], [])
                self.assertGreater(entry["purchased"], 0)
                self.assertEqual(entry["soldOut"], 0)
                # One row, no other locks: nothing to deadlock on, and no error expected.
                self.assertEqual(entry["failuresByKind"]["errors"], 0, entry["firstError"])
                self.assertEqual(entry["failuresByKind"]["deadlocks"], 0, entry["firstError"])
                capacity, sold, rows = stored[entry["strategy"]]
                self.assertEqual(capacity, report["settings"]["capacity"])
                self.assertEqual(sold, entry["purchased"])
                self.assertEqual(rows, entry["purchased"])
                self.assertEqual(entry["stored"],
                                 {"capacity": capacity, "sold": sold, "purchaseRows": rows})
        batched = report["strategies"][STRATEGIES.index("batched")]
        self.assertGreater(batched["counters"]["batches"], 0)
        self.assertLessEqual(batched["counters"]["largestBatch"], int(WORKERS))
        redis_lock = report["strategies"][STRATEGIES.index("redis-lock")]
        self.assertEqual(redis_lock["counters"]["releaseErrors"], 0)

    def test_small_capacity_sells_exactly_the_capacity_under_every_strategy(self):
        report = self.bench_json("--duration", "1", "--workers", WORKERS,
                                 "--capacity", str(SMALL_CAPACITY))
        self.assertTrue(report["consistent"])
        stored = self.stored_rows()
        self.assertEqual(sorted(stored), sorted(STRATEGIES))
        for entry in report["strategies"]:
            with self.subTest(strategy=entry["strategy"]):
                self.check_shape(entry)
                self.assertTrue(entry["consistent"], entry)
                # More attempts were answered than there were units: exactly the capacity sold.
                self.assertGreater(entry["purchased"] + entry["soldOut"], SMALL_CAPACITY)
                self.assertGreater(entry["soldOut"], 0)
                self.assertEqual(entry["purchased"], SMALL_CAPACITY)
                self.assertEqual(stored[entry["strategy"]],
                                 (SMALL_CAPACITY, SMALL_CAPACITY, SMALL_CAPACITY))
        # No purchase row outside the ticket types of this run.
        orphans = self.pg.query("lockbench_e2e", """
            SELECT count(*) FROM lockbench.purchases p
            WHERE NOT EXISTS (SELECT 1 FROM lockbench.ticket_types t
                              WHERE t.id = p.ticket_type_id)""")
        self.assertEqual(orphans, [["0"]])

    def test_with_a_delay_in_each_transaction_every_strategy_still_sells_exactly_the_capacity(self):
        report = self.bench_json("--duration", "1", "--workers", WORKERS,
                                 "--capacity", "20", "--transaction-delay-ms", "2")
        self.assertEqual(report["settings"]["transactionDelayMs"], 2)
        self.assertTrue(report["consistent"])
        stored = self.stored_rows()
        for entry in report["strategies"]:
            with self.subTest(strategy=entry["strategy"]):
                self.check_shape(entry)
                self.assertEqual(entry["purchased"], 20, entry)
                self.assertGreater(entry["soldOut"], 0)
                self.assertEqual(stored[entry["strategy"]], (20, 20, 20))

    def run_redis_lock(self, *args):
        rc, out, err = self.bench("--store", self.store, "--redis", self.redis.url(), "--json",
                                  "--strategies", "redis-lock", "--duration", "1",
                                  "--workers", WORKERS, "--capacity", "1000",
                                  "--transaction-delay-ms", "5", *args)
        self.assertIn(rc, (0, 1), "stdout: %s\nstderr: %s" % (out, err))
        return rc, json.loads(out)

    def test_a_redis_lock_outliving_its_transaction_keeps_purchases_apart(self):
        rc, report = self.run_redis_lock()  # the lock lives 10 s; a transaction about 5 ms
        self.assertEqual(rc, 0, report)
        entry = report["strategies"][0]
        self.assertTrue(entry["consistent"], entry)
        self.assertEqual(entry["counters"]["locksLost"], 0)

    def test_a_redis_lock_that_lapses_oversells_and_the_run_says_so(self):
        # The lock expires after 1 ms, inside every transaction (each pauses 5 ms between its
        # read and its write), so holders overlap and write the same counter value: the check
        # must see it, and the exit code must say so.
        rc, report = self.run_redis_lock("--lock-ttl-ms", "1")
        self.assertEqual(rc, 1, report)
        self.assertFalse(report["consistent"])
        entry = report["strategies"][0]
        self.assertFalse(entry["consistent"])
        self.assertTrue(entry["problems"])
        self.assertGreater(entry["counters"]["locksLost"], 0)
        capacity, sold, rows = self.stored_rows()["redis-lock"]
        self.assertTrue(rows > capacity or sold != rows, (capacity, sold, rows))
        self.assertEqual(entry["stored"], {"capacity": capacity, "sold": sold, "purchaseRows": rows})

    def test_table_output_and_settings_from_the_environment(self):
        env = harness.clean_env()
        env["BOXOFFICE_STORE"] = self.store
        env["BOXOFFICE_STRATEGIES"] = "atomic,batched"
        env["BOXOFFICE_DURATION"] = "0.3"
        env["BOXOFFICE_WORKERS"] = "4"
        rc, out, err = self.bench(env=env)
        self.assertEqual(rc, 0, "stdout: %s\nstderr: %s" % (out, err))
        self.assertIn("4 workers", out)
        self.assertIn("synchronous_commit=on", out)
        for name in ["atomic", "batched"]:
            self.assertRegex(out, r"(?m)^%s\s+[0-9.]+\s" % name)
        self.assertNotIn("pessimistic", out)
        self.assertIn("all strategies consistent", out)
        self.assertEqual(sorted(self.stored_rows()), ["atomic", "batched"])

    def test_bad_flags_and_unreachable_servers_exit_2_with_a_reason(self):
        rc, _, err = self.bench("--store", self.store, "--strategies", "atomic,spinlock")
        self.assertEqual(rc, 2)
        self.assertIn("unknown strategy 'spinlock'", err)

        rc, _, err = self.bench("--store", self.store, "--strategies", "redis-lock")
        self.assertEqual(rc, 2)
        self.assertIn("--redis", err)

        closed = services.free_port()
        rc, _, err = self.bench("--store", "postgres://postgres@127.0.0.1:%d/x" % closed,
                                "--strategies", "atomic", "--duration", "0.1")
        self.assertEqual(rc, 2)
        self.assertIn("PostgreSQL at 127.0.0.1:%d/x" % closed, err)

        rc, _, err = self.bench("--store", self.store, "--redis",
                                "redis://127.0.0.1:%d" % closed, "--duration", "0.1")
        self.assertEqual(rc, 2)
        self.assertIn("Redis at 127.0.0.1:%d" % closed, err)

        rc, _, err = self.bench("--store", self.store, "--workers", "0")
        self.assertEqual(rc, 2)
        self.assertIn("--workers", err)

        rc, _, err = self.bench()
        self.assertEqual(rc, 2)
        self.assertIn("--store", err)

        rc, out, _ = self.bench("--help")
        self.assertEqual(rc, 0)
        self.assertIn("--lock-wait-ms", out)


if __name__ == "__main__":
    unittest.main()

"""Shared machinery of the end-to-end tests: one real `boxoffice serve` per test module.

ServerTestCase.setUpClass starts the binary (BOXOFFICE_BIN, default ../../build/boxoffice) on
a free loopback port with a fresh data directory, and waits until /healthz answers.
tearDownClass stops it with SIGTERM, requires exit code 0, then requires `boxoffice audit` to
pass over the data directory the module left behind.

Client is a small JSON client over http.client with one keep-alive connection per thread;
every call returns a Reply that unpacks as (status, headers, parsed json).
"""

import base64
import concurrent.futures
import datetime
import hashlib
import hmac
import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN = os.path.normpath(os.path.join(HERE, "..", "..", "build", "boxoffice"))

START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 60
REQUEST_TIMEOUT_S = 60
# A keep-alive connection idle this long is reopened before use (the server closes at 60 s).
CONNECTION_IDLE_REUSE_S = 20


def binary():
    path = os.environ.get("BOXOFFICE_BIN") or DEFAULT_BIN
    if not os.path.isabs(path):
        path = os.path.abspath(path)
    return path


def clean_env():
    """The environment for child processes, without BOXOFFICE_* settings that would change
    the server (every flag also reads BOXOFFICE_<FLAG>)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("BOXOFFICE_")}


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def metric_value(text, name):
    """The value of an unlabelled sample `name` in Prometheus text, or None."""
    m = re.search(r"^%s(?:\{\})? ([0-9.eE+-]+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None


def mint_token(secret, user_id, role="user", grade="BASIC", ttl_seconds=3600, name=None):
    """An HS256 access token signed with `secret`, as `boxoffice token` makes (a load
    generator holding the secret may mint them; see API.md)."""
    now = int(time.time())
    header = b64url(b'{"alg":"HS256","typ":"JWT"}')
    claims = {
        "sub": user_id,
        "name": name or user_id,
        "grade": grade,
        "role": role,
        "iat": now,
        "exp": now + ttl_seconds,
    }
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    signing_input = header + "." + payload
    sig = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64url(sig)


def new_key():
    return "k-" + uuid.uuid4().hex


def parse_time(text):
    """Seconds since the epoch of an RFC 3339 UTC time such as 2026-12-24T19:00:00.123Z."""
    if text.endswith("Z") or text.endswith("z"):
        text = text[:-1] + "+00:00"
    return datetime.datetime.fromisoformat(text).timestamp()


class Reply:
    """One HTTP answer. Unpacks as (status, headers, json)."""

    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers  # http.client.HTTPMessage: case-insensitive get()
        self.raw = raw
        self.content_type = headers.get("Content-Type", "")
        self.json = None
        if raw and "json" in self.content_type:
            try:
                self.json = json.loads(raw)
            except ValueError:
                self.json = None

    def __iter__(self):
        return iter((self.status, self.headers, self.json))

    @property
    def code(self):
        return self.json.get("code") if isinstance(self.json, dict) else None

    def __repr__(self):
        body = self.raw[:600].decode("utf-8", "replace") if self.raw else ""
        return "<Reply %s %s %s>" % (self.status, self.content_type, body)


class ConnectionPool:
    """One keep-alive connection per thread to one server; every connection is remembered so
    that close_all() can close those of threads that are gone."""

    def __init__(self, host, port):
        self.host = host
        self.port = port
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all = []

    def get(self):
        local = self._local
        conn = getattr(local, "conn", None)
        idle = time.monotonic() - getattr(local, "last_used", 0.0)
        if conn is not None and idle > CONNECTION_IDLE_REUSE_S:
            self.drop()
            conn = None
        reused = conn is not None
        if conn is None:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=REQUEST_TIMEOUT_S)
            local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn, reused

    def used(self):
        self._local.last_used = time.monotonic()

    def drop(self):
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
            with self._lock:
                if conn in self._all:
                    self._all.remove(conn)

    def close_all(self):
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()


class Client:
    """JSON over HTTP/1.1 as one caller (token); connections come from a per-thread pool
    shared by every Client of the same server."""

    def __init__(self, host, port, token=None, pool=None):
        self.host = host
        self.port = port
        self.token = token
        self.pool = pool or ConnectionPool(host, port)

    def with_token(self, token):
        return Client(self.host, self.port, token, self.pool)

    def close(self):
        self.pool.close_all()

    def request(self, method, path, body=None, token=None, idempotency_key=None, headers=None,
                auth=True, retry=True):
        """Sends one request. `body`: dict/list (sent as JSON), str or bytes (sent as is), or
        None. `token` overrides the client's; auth=False sends no Authorization header.
        retry=False never sends the request a second time."""
        h = {}
        tok = token if token is not None else self.token
        if auth and tok:
            h["Authorization"] = "Bearer " + tok
        if idempotency_key is not None:
            h["Idempotency-Key"] = idempotency_key
        data = None
        if body is not None:
            if isinstance(body, (dict, list)):
                data = json.dumps(body).encode()
            elif isinstance(body, str):
                data = body.encode()
            else:
                data = bytes(body)
            h["Content-Type"] = "application/json"
        if headers:
            h.update(headers)
        for attempt in range(2):
            conn, reused = self.pool.get()
            try:
                conn.request(method, path, body=data, headers=h)
                resp = conn.getresponse()
                raw = resp.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.pool.drop()
                # A kept-alive connection that the server had closed as idle: send the request
                # again, once, on a new connection.
                if retry and reused and attempt == 0:
                    continue
                raise
            except Exception:
                self.pool.drop()
                raise
            self.pool.used()
            if resp.will_close:
                self.pool.drop()
            return Reply(resp.status, resp.msg, raw)
        raise AssertionError("unreachable")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


class Server:
    """One `boxoffice serve` process over its own temporary data directory."""

    def __init__(self, hold_seconds=None, extra_args=(), listen_port=0):
        self.bin = binary()
        self.listen_port = listen_port  # 0: a free port, chosen again at each start
        self.hold_seconds = hold_seconds
        self.extra_args = list(extra_args)
        self.secret = "e2e-" + uuid.uuid4().hex
        self.root = tempfile.mkdtemp(prefix="boxoffice-e2e-")
        self.data_dir = os.path.join(self.root, "data")
        self.log_path = os.path.join(self.root, "server.log")
        self.proc = None
        self.pool = None
        self._log_offset = 0
        self.host = "127.0.0.1"
        self.port = None
        self._log = None

    def start(self):
        if not os.access(self.bin, os.X_OK):
            raise AssertionError("no boxoffice binary at %s (set BOXOFFICE_BIN)" % self.bin)
        args = [self.bin, "serve", "--listen", "127.0.0.1:%d" % self.listen_port,
                "--data-dir", self.data_dir,
                "--jwt-secret", self.secret, "--access-log", "false"]
        if self.hold_seconds is not None:
            args += ["--hold-seconds", str(self.hold_seconds)]
        args += self.extra_args
        self.port = None
        if self._log is not None:
            self._log.close()
        self._log = open(self.log_path, "ab")
        self._log_offset = self._log.tell()
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=clean_env())
        deadline = time.monotonic() + START_TIMEOUT_S
        pattern = re.compile(r"listening on http://([^\s:]+|\[[^\]]+\]):(\d+)")
        while self.port is None:
            if self.proc.poll() is not None:
                raise AssertionError("boxoffice serve exited with %s before listening:\n%s"
                                     % (self.proc.returncode, self.log_tail()))
            if time.monotonic() > deadline:
                raise AssertionError("boxoffice serve did not log where it listens:\n"
                                     + self.log_tail())
            m = pattern.search(self.log_text(self._log_offset))
            if m:
                self.port = int(m.group(2))
                break
            time.sleep(0.05)
        if self.pool is not None:
            self.pool.close_all()
        self.pool = ConnectionPool(self.host, self.port)
        client = Client(self.host, self.port, pool=self.pool)
        while True:
            try:
                r = client.get("/healthz")
                if r.status == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("/healthz never answered 200:\n" + self.log_tail())
            time.sleep(0.05)

    def log_text(self, offset=0):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, n=40):
        return "\n".join(self.log_text().splitlines()[-n:])

    def client(self, token=None):
        return Client(self.host, self.port, token, self.pool)

    def cli(self, *args, timeout=60):
        return subprocess.run([self.bin, *args], capture_output=True, text=True, timeout=timeout,
                              env=clean_env())

    def cli_token(self, admin=False, user=None, ttl_seconds=None, secret=None, grade=None):
        """A token printed by `boxoffice token`."""
        args = ["token"]
        args += ["--admin"] if admin else ["--user", user]
        if ttl_seconds is not None:
            args += ["--ttl-seconds", str(ttl_seconds)]
        if grade is not None:
            args += ["--grade", grade]
        args += ["--jwt-secret", secret or self.secret]
        out = self.cli(*args)
        if out.returncode != 0:
            raise AssertionError("boxoffice token failed (%s): %s" % (out.returncode, out.stderr))
        return out.stdout.strip()

    def mint(self, user_id, **kw):
        return mint_token(self.secret, user_id, **kw)

    def stop(self):
        """SIGTERM; returns the exit code."""
        if self.pool is not None:
            self.pool.close_all()
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("boxoffice serve did not stop within %d s of SIGTERM:\n%s"
                                     % (STOP_TIMEOUT_S, self.log_tail()))
        return self.proc.returncode

    def audit(self):
        return self.cli("audit", "--data-dir", self.data_dir, timeout=120)

    def kill(self):
        if self.pool is not None:
            self.pool.close_all()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def remove(self):
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)


class ServerTestCase(unittest.TestCase):
    """Base class: one server for the whole module's class, audited at the end."""

    hold_seconds = None
    extra_args = ()

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = Server(hold_seconds=cls.hold_seconds, extra_args=cls.extra_args)
        cls.addClassCleanup(cls.server.remove)
        cls.server.start()
        cls.anon = cls.server.client()
        cls.admin_token = cls.server.cli_token(admin=True)
        cls.admin = cls.server.client(cls.admin_token)
        cls._user_seq = 0
        cls._user_lock = threading.Lock()

    @classmethod
    def tearDownClass(cls):
        server = cls.server
        code = server.stop()
        if code != 0:
            raise AssertionError("boxoffice serve exited with %s after SIGTERM (want 0):\n%s"
                                 % (code, server.log_tail()))
        audit = server.audit()
        if audit.returncode != 0:
            raise AssertionError("boxoffice audit failed (exit %s) after %s:\n%s%s"
                                 % (audit.returncode, cls.__name__, audit.stdout, audit.stderr))
        if "audit passed" not in audit.stdout:
            raise AssertionError("boxoffice audit did not say it passed:\n" + audit.stdout)
        super().tearDownClass()

    # ---- assertions -------------------------------------------------------------------------

    def assertStatus(self, reply, status, msg=None):
        self.assertEqual(reply.status, status, (msg + ": " if msg else "") + repr(reply))

    def assertProblem(self, reply, status, code, field=None, msg=None):
        """An RFC 9457 problem+json with this status and code; its detail is non-empty and,
        with `field`, names it."""
        ctx = (msg + ": " if msg else "") + repr(reply)
        self.assertEqual(reply.status, status, ctx)
        self.assertTrue(reply.content_type.startswith("application/problem+json"),
                        "Content-Type " + reply.content_type + " " + ctx)
        self.assertIsInstance(reply.json, dict, ctx)
        self.assertEqual(reply.json.get("code"), code, ctx)
        self.assertEqual(reply.json.get("status"), status, ctx)
        self.assertIsInstance(reply.json.get("title"), str, ctx)
        self.assertTrue(reply.json.get("title"), ctx)
        detail = reply.json.get("detail")
        self.assertIsInstance(detail, str, ctx)
        self.assertTrue(detail.strip(), "empty detail " + ctx)
        if field is not None:
            self.assertIn(field, detail, "detail does not name %r: %s" % (field, ctx))

    # ---- users ------------------------------------------------------------------------------

    @classmethod
    def unique(cls, prefix):
        with cls._user_lock:
            cls._user_seq += 1
            return "%s-%d-%s" % (prefix, cls._user_seq, uuid.uuid4().hex[:8])

    @classmethod
    def signup(cls, email=None, password="correct horse battery", name="Buyer"):
        email = email or cls.unique("buyer") + "@example.com"
        r = cls.anon.post("/v1/auth/signup",
                          {"email": email, "password": password, "name": name})
        return r, email

    @classmethod
    def login(cls, email, password="correct horse battery"):
        return cls.anon.post("/v1/auth/login", {"email": email, "password": password})

    @classmethod
    def new_account(cls, name="Buyer"):
        """Signs up and logs in a user; returns (user_id, token, email)."""
        password = "pw-" + uuid.uuid4().hex
        r, email = cls.signup(password=password, name=name)
        if r.status != 201:
            raise AssertionError("signup: %r" % r)
        user_id = r.json["userId"]
        r = cls.login(email, password)
        if r.status != 200:
            raise AssertionError("login: %r" % r)
        return user_id, r.json["accessToken"], email

    @classmethod
    def minted_user(cls, prefix="usr-e2e"):
        """A user known only by a token signed with the server's secret."""
        user_id = cls.unique(prefix)
        return user_id, cls.server.mint(user_id)

    @classmethod
    def user_client(cls, token):
        return cls.server.client(token)

    # ---- catalog ----------------------------------------------------------------------------

    @classmethod
    def create_concert(cls, name=None, artist="The E2E Band", venue="Loopback Hall"):
        r = cls.admin.post("/v1/admin/concerts",
                           {"name": name or cls.unique("concert"), "artist": artist,
                            "venue": venue})
        if r.status != 201:
            raise AssertionError("create concert: %r" % r)
        return r.json

    @classmethod
    def create_schedule(cls, concert_id, starts_at="2027-03-14T19:00:00Z", seats=None,
                        seat_rows=None, ticket_types=None):
        body = {"startsAt": starts_at}
        if seats is not None:
            body["seats"] = seats
        if seat_rows is not None:
            body["seatRows"] = seat_rows
        if ticket_types is not None:
            body["ticketTypes"] = ticket_types
        r = cls.admin.post("/v1/admin/concerts/%s/schedules" % concert_id, body)
        if r.status != 201:
            raise AssertionError("create schedule: %r" % r)
        return r.json

    @classmethod
    def seat_map(cls, schedule_id):
        """Ordered list of seats of the schedule."""
        r = cls.anon.get("/v1/schedules/%s/seats" % schedule_id)
        if r.status != 200:
            raise AssertionError("seat map: %r" % r)
        return r.json["items"]

    @classmethod
    def seat_statuses(cls, schedule_id):
        return {s["id"]: s["status"] for s in cls.seat_map(schedule_id)}

    @classmethod
    def schedule(cls, schedule_id):
        r = cls.anon.get("/v1/schedules/%s" % schedule_id)
        if r.status != 200:
            raise AssertionError("schedule: %r" % r)
        return r.json

    # ---- wallet -----------------------------------------------------------------------------

    @classmethod
    def charge(cls, token, amount):
        r = cls.server.client(token).post("/v1/wallet/charges", {"amount": amount},
                                          idempotency_key=new_key())
        if r.status != 201:
            raise AssertionError("charge: %r" % r)
        return r.json

    @classmethod
    def balance(cls, token):
        r = cls.server.client(token).get("/v1/wallet")
        if r.status != 200:
            raise AssertionError("balance: %r" % r)
        return r.json["balance"]

    @classmethod
    def list_all(cls, client, path, limit=100):
        """Every item of a paginated list, following nextCursor."""
        items, cursor, pages = [], None, 0
        while True:
            sep = "&" if "?" in path else "?"
            url = "%s%slimit=%d" % (path, sep, limit)
            if cursor:
                url += "&cursor=" + cursor
            r = client.get(url)
            if r.status != 200:
                raise AssertionError("list %s: %r" % (url, r))
            items += r.json["items"]
            cursor = r.json["nextCursor"]
            pages += 1
            if cursor is None:
                return items
            if pages > 10000:
                raise AssertionError("pagination of %s does not end" % path)


def stop_instances(instances):
    """SIGTERMs every instance; each must exit 0."""
    for s in instances:
        code = s.stop()
        if code != 0:
            raise AssertionError("an instance exited with %s after SIGTERM:\n%s"
                                 % (code, s.log_tail()))


def audit_store(server, store_url):
    """Runs `boxoffice audit --store store_url`; it must pass."""
    audit = server.cli("audit", "--store", store_url, timeout=120)
    if audit.returncode != 0 or "audit passed" not in audit.stdout:
        raise AssertionError("boxoffice audit --store failed (exit %s):\n%s%s"
                             % (audit.returncode, audit.stdout, audit.stderr))


def run_parallel(fn, args_list, workers=64):
    """Runs fn(*args) for each args in parallel threads; returns results in order.
    Exceptions propagate."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(fn, *args) for args in args_list]
        return [f.result() for f in futures]


def race(fn, args_list, workers=100, warm=None):
    """Runs fn(*args) for every args on `workers` threads, releasing the first `workers` calls
    at the same instant (each thread has opened its connection first, by calling warm() if
    given). Returns the results in order; exceptions propagate."""
    workers = max(1, min(workers, len(args_list)))
    go = threading.Event()
    lock = threading.Lock()
    waiting = [0]
    warmed = threading.local()

    def task(args):
        if warm is not None and not getattr(warmed, "done", False):
            warm()
            warmed.done = True
        with lock:
            waiting[0] += 1
        if not go.wait(timeout=120):
            raise AssertionError("the race never started")
        return fn(*args)

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(task, args) for args in args_list]
        deadline = time.monotonic() + 120
        while True:
            with lock:
                if waiting[0] >= workers:
                    break
            if time.monotonic() > deadline or any(f.done() for f in futures):
                break
            time.sleep(0.01)
        go.set()
        return [f.result() for f in futures]


def poll(fn, timeout_s, interval_s=0.05):
    """Calls fn until it returns a truthy value or timeout_s passes; returns the last value."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval_s)


def raw_http(host, port, head, body=b"", answer_wait_s=1.0, read_timeout=60):
    """Sends `head` (request line and headers, bytes), waits up to answer_wait_s for an early
    answer (a server may refuse from the headers alone), then sends `body` in pieces unless
    it answered; returns (status, headers with lower-case names, body bytes)."""
    sock = socket.create_connection((host, port), timeout=read_timeout)
    try:
        sock.sendall(head)
        answered = bool(select.select([sock], [], [], answer_wait_s)[0])
        view = memoryview(body)
        while not answered and len(view):
            try:
                sent = sock.send(view[:65536])
            except (BrokenPipeError, ConnectionResetError):
                break
            view = view[sent:]
            answered = bool(select.select([sock], [], [], 0)[0])
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                part = sock.recv(65536)
                if not part:
                    break
                data += part
        except ConnectionResetError:
            pass
        if b"\r\n\r\n" not in data:
            raise AssertionError("no HTTP answer, got %r" % data[:200])
        head_bytes, _, rest = data.partition(b"\r\n\r\n")
        lines = head_bytes.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        try:
            while len(rest) < length:
                part = sock.recv(65536)
                if not part:
                    break
                rest += part
        except ConnectionResetError:
            pass
        return status, headers, rest[:length]
    finally:
        sock.close()

"""Throwaway real servers for tests: PostgreSQL 15 and Redis from Debian's packages.

Each server runs on a free loopback port with its files in a fresh temporary directory, is a
direct child of the test process, and is stopped (and its directory removed) by stop(). A test
never depends on a server it did not start: system services on the default ports are neither
used nor disturbed.

    pg = PostgresCluster()            # initdb + postgres on 127.0.0.1:<free port>
    pg.start()
    pg.create_database("app")
    url = pg.url("app")               # postgres://postgres@127.0.0.1:<port>/app
    rows = pg.query("app", "SELECT 1")
    pg.restart()                      # same port, same data
    pg.stop()                         # always safe to call, also after a failed start

    redis = RedisServer()
    redis.start()
    redis.url()                       # redis://127.0.0.1:<port>
    redis.stop()

In a unittest module, start once per module and register the stop at once, so that it also
runs when setUpClass or a test fails:

    @classmethod
    def setUpClass(cls):
        cls.pg = PostgresCluster()
        cls.addClassCleanup(cls.pg.stop)
        cls.pg.start()

PostgreSQL refuses to run as root. When the tests run as root, initdb and postgres run as the
`postgres` user (created by Debian's postgresql-15 package), the same as
`runuser -u postgres --`, done by subprocess itself so that the server stays our direct child.
Each server also gets a parent-death signal, so that it shuts down if the test process is
killed before it could call stop(). Linux sends it when the thread that started the server
ends, so start servers from the thread that lives as long as they should (setUpClass runs on
the main thread).
"""

import atexit
import base64
import ctypes
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

PG_BIN = os.environ.get("BOXOFFICE_PG_BIN", "/usr/lib/postgresql/15/bin")
REDIS_SERVER = os.environ.get("BOXOFFICE_REDIS_SERVER", "redis-server")
HAPROXY = os.environ.get("BOXOFFICE_HAPROXY", "haproxy")
CLUSTER_OWNER = "postgres"

START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 30
COMMAND_TIMEOUT_S = 120
# A free port found by binding port 0 may be taken by someone else before the server binds
# it; start() then tries again on another port, at most this many times.
PORT_ATTEMPTS_MAX = 5

_PR_SET_PDEATHSIG = 1
_live_servers = set()


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _parent_death_signal(sig):
    """A preexec_fn that makes the child receive `sig` when the test process dies. subprocess
    runs it after switching user, which would otherwise clear the setting."""
    libc = ctypes.CDLL(None, use_errno=True)

    def set_signal():
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)

    return set_signal


def _stop_all_at_exit():
    for server in list(_live_servers):
        server.stop()


atexit.register(_stop_all_at_exit)


class ServiceError(RuntimeError):
    pass


class _ChildServer:
    """A server process we started, in a temporary directory we own."""

    def __init__(self, prefix):
        self._prefix = prefix
        self.tmp = None
        self.port = None
        self.proc = None
        self._log = None

    def _make_tmp(self, owner=None):
        self.tmp = tempfile.mkdtemp(prefix=self._prefix)
        if owner is not None:
            os.chown(self.tmp, owner.pw_uid, owner.pw_gid)
        _live_servers.add(self)

    def _spawn(self, argv, log_path, stop_signal, owner=None, env=None):
        self._log = open(log_path, "ab")
        kwargs = {}
        if owner is not None:
            kwargs = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []}
        if env is not None:
            kwargs["env"] = env
        self.proc = subprocess.Popen(
            argv,
            cwd=self.tmp,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_parent_death_signal(stop_signal),
            **kwargs
        )

    def _wait_ready(self, is_ready, log_path):
        """Waits until is_ready() or the process exits; returns True when ready."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            if is_ready():
                return True
            time.sleep(0.05)
        raise ServiceError("%s did not become ready in %d s; log:\n%s"
                           % (self._prefix, START_TIMEOUT_S, _tail(log_path)))

    def _end_process(self, stop_signal):
        """Stops the process with stop_signal, then SIGKILL if it does not exit in time."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(stop_signal)
            try:
                proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def _remove_tmp(self):
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        _live_servers.discard(self)

    def _start_on_free_port(self, name, launch):
        """Makes the temporary directory, then calls launch() (spawn the server on self.port;
        return whether it became ready) on free ports, at most PORT_ATTEMPTS_MAX. Raises
        ServiceError, after cleaning up, if no attempt worked."""
        if self.proc is not None:
            raise ServiceError("already started")
        try:
            self._make_tmp()
            for _ in range(PORT_ATTEMPTS_MAX):
                self.port = free_port()
                if launch():
                    return self
                self._end_process(signal.SIGTERM)
            raise ServiceError("%s did not start on %d ports; log:\n%s"
                               % (name, PORT_ATTEMPTS_MAX, _tail(self.log_path)))
        except BaseException:
            self.stop()
            raise


def _tail(path, lines=40):
    try:
        with open(path, "rb") as f:
            return b"\n".join(f.read().splitlines()[-lines:]).decode("utf-8", "replace")
    except OSError as e:
        return "(no log: %s)" % e


class PostgresCluster(_ChildServer):
    """A PostgreSQL 15 cluster of its own: initdb in a temporary directory, then `postgres`
    listening on 127.0.0.1:<port> and on a unix socket in that directory. Trust
    authentication on loopback and the socket; superuser `postgres`.

    fsync and synchronous_commit stay on unless asked otherwise, so that commit latencies are
    those of a durable database. `settings` adds or overrides any postgresql.conf setting.
    """

    def __init__(self, max_connections=200, fsync=True, synchronous_commit=True, settings=None):
        super().__init__("boxoffice-pg-")
        self.user = "postgres"
        self.settings = {
            "max_connections": str(max_connections),
            "fsync": "on" if fsync else "off",
            "synchronous_commit": "on" if synchronous_commit else "off",
            "shared_buffers": "128MB",
            "listen_addresses": "127.0.0.1",
            "logging_collector": "off",
            "log_min_messages": "warning",
        }
        self.settings.update(settings or {})
        self._owner = None

    @property
    def data_dir(self):
        return os.path.join(self.tmp, "data")

    @property
    def log_path(self):
        return os.path.join(self.tmp, "postgres.log")

    def start(self):
        """Creates the cluster and starts the server; raises ServiceError on failure (after
        cleaning up)."""
        if self.proc is not None:
            raise ServiceError("already started")
        try:
            if os.geteuid() == 0:
                self._owner = pwd.getpwnam(CLUSTER_OWNER)
            self._make_tmp(self._owner)
            self._run([
                os.path.join(PG_BIN, "initdb"), "-D", self.data_dir, "-U", self.user,
                "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
            ])
            for _ in range(PORT_ATTEMPTS_MAX):
                self.port = free_port()
                if self._start_server():
                    return self
            raise ServiceError("postgres did not start on %d ports; log:\n%s"
                               % (PORT_ATTEMPTS_MAX, _tail(self.log_path)))
        except BaseException:
            self.stop()
            raise

    def restart(self):
        """Stops the server (fast shutdown) and starts it again on the same port and data."""
        self.halt()
        return self.resume()

    def halt(self):
        """Stops the server (fast shutdown), keeping its data and port for resume()."""
        self._end_process(signal.SIGINT)

    def resume(self):
        """Starts a halted server again on the same port and data."""
        if not self._start_server():
            raise ServiceError("postgres did not start again; log:\n%s" % _tail(self.log_path))
        return self

    def stop(self):
        """Stops the server (fast shutdown, then SIGKILL) and removes its directory. Safe to
        call more than once and after a failed start."""
        self._end_process(signal.SIGINT)
        self._remove_tmp()

    def _start_server(self):
        argv = [os.path.join(PG_BIN, "postgres"), "-D", self.data_dir,
                "-c", "port=%d" % self.port, "-c", "unix_socket_directories=%s" % self.tmp]
        for name, value in sorted(self.settings.items()):
            argv += ["-c", "%s=%s" % (name, value)]
        # SIGINT is PostgreSQL's fast shutdown: sessions end, the cluster is left clean.
        self._spawn(argv, self.log_path, signal.SIGINT, self._owner)
        if self._wait_ready(self._is_ready, self.log_path):
            return True
        self._end_process(signal.SIGINT)
        return False

    def _is_ready(self):
        return subprocess.run(
            [os.path.join(PG_BIN, "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port),
             "-U", self.user, "-d", "postgres"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0

    def _run(self, argv):
        kwargs = {}
        if self._owner is not None:
            kwargs = {"user": self._owner.pw_uid, "group": self._owner.pw_gid,
                      "extra_groups": []}
        result = subprocess.run(argv, cwd=self.tmp, stdin=subprocess.DEVNULL,
                                capture_output=True, timeout=COMMAND_TIMEOUT_S, **kwargs)
        if result.returncode != 0:
            raise ServiceError("%s failed (%d): %s" % (
                os.path.basename(argv[0]), result.returncode,
                (result.stdout + result.stderr).decode("utf-8", "replace")))
        return result.stdout.decode("utf-8")

    def url(self, database="postgres"):
        """The libpq URL of `database` over TCP loopback."""
        return "postgres://%s@127.0.0.1:%d/%s" % (self.user, self.port, database)

    def create_database(self, name):
        """Creates database `name` (letters, digits, underscores) and returns its URL."""
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", name):
            raise ValueError("not a plain database name: %r" % name)
        self._run([os.path.join(PG_BIN, "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                   "-U", self.user, name])
        return self.url(name)

    def query(self, database, sql):
        """Runs `sql` with psql and returns its rows as lists of strings (NULL is '')."""
        out = self._run([os.path.join(PG_BIN, "psql"), "-X", "-q", "-A", "-t", "-F", "\t",
                         "-v", "ON_ERROR_STOP=1", "-d", self.url(database), "-c", sql])
        return [line.split("\t") for line in out.splitlines() if line]


class RedisServer(_ChildServer):
    """A Redis server of its own on 127.0.0.1:<port>, persistence off, working directory in a
    temporary directory."""

    def __init__(self):
        super().__init__("boxoffice-redis-")

    @property
    def log_path(self):
        return os.path.join(self.tmp, "redis.log")

    def start(self):
        return self._start_on_free_port("redis-server", self._launch)

    def _launch(self):
        self._spawn([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1",
                     "--save", "", "--appendonly", "no", "--dir", self.tmp],
                    self.log_path, signal.SIGTERM)
        return self._wait_ready(self._is_ready, self.log_path)

    def stop(self):
        """Stops the server (SIGTERM, then SIGKILL) and removes its directory. Safe to call
        more than once."""
        self._end_process(signal.SIGTERM)
        self._remove_tmp()

    def url(self):
        return "redis://127.0.0.1:%d" % self.port

    def command(self, *args):
        """Sends one command (RESP) and returns the first line of the answer, decoded."""
        payload = b"*%d\r\n" % len(args)
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            payload += b"$%d\r\n%s\r\n" % (len(data), data)
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(payload)
            answer = b""
            while b"\r\n" not in answer:
                part = s.recv(4096)
                if not part:
                    break
                answer += part
        return answer.split(b"\r\n", 1)[0].decode("utf-8", "replace")

    def _is_ready(self):
        try:
            return self.command("PING") == "+PONG"
        except OSError:
            return False


NATS_SERVER = os.environ.get("BOXOFFICE_NATS_SERVER", "nats-server")


class NatsServer(_ChildServer):
    """A NATS server with JetStream (`nats-server -js`) of its own on 127.0.0.1:<port>, its
    JetStream store in the temporary directory. pause() stops the process and resume() starts
    it again on the same port over the same store, as a broker outage and its recovery.

        nats = NatsServer()
        nats.start()
        nats.url()                                    # nats://127.0.0.1:<port>
        nats.request("$JS.API.STREAM.INFO.S", b"")    # one JSON reply, as a dict
        nats.stream_messages("S")                     # [(seq, subject, headers, data)]
        nats.stop()
    """

    def __init__(self):
        super().__init__("boxoffice-nats-")

    @property
    def log_path(self):
        return os.path.join(self.tmp, "nats.log")

    @property
    def store_dir(self):
        return os.path.join(self.tmp, "jetstream")

    def start(self):
        return self._start_on_free_port("nats-server", self._launch)

    def _launch(self):
        self._spawn([NATS_SERVER, "-js", "-a", "127.0.0.1", "-p", str(self.port),
                     "-sd", self.store_dir], self.log_path, signal.SIGTERM)
        return self._wait_ready(self._is_ready, self.log_path)

    def pause(self):
        """Stops the process, keeping its port and store."""
        self._end_process(signal.SIGTERM)

    def resume(self):
        if not self._launch():
            raise ServiceError("nats-server did not restart; log:\n" + _tail(self.log_path))

    def stop(self):
        self._end_process(signal.SIGTERM)
        self._remove_tmp()

    def url(self):
        return "nats://127.0.0.1:%d" % self.port

    def _is_ready(self):
        try:
            self.request("$JS.API.INFO", b"", timeout=1)
            return True
        except (OSError, ServiceError):
            return False

    def request(self, subject, payload, timeout=5):
        """Publishes `payload` to `subject` with a reply inbox over the NATS text protocol and
        returns the JSON of the first reply."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            reader = _NatsReader(s)
            reader.line()  # INFO
            inbox = "_INBOX.e2e%d" % os.getpid()
            s.sendall(b'CONNECT {"verbose":false,"pedantic":false,"headers":true}\r\n'
                      + b"SUB %s 1\r\n" % inbox.encode()
                      + b"PUB %s %s %d\r\n%s\r\n" % (subject.encode(), inbox.encode(),
                                                    len(payload), payload))
            while True:
                line = reader.line()
                if line == b"PING":
                    s.sendall(b"PONG\r\n")
                    continue
                if line.startswith(b"-ERR"):
                    raise ServiceError("nats: " + line.decode())
                parts = line.split()
                if parts and parts[0] == b"MSG":
                    data = reader.exact(int(parts[-1]))
                    return json.loads(data)
                if parts and parts[0] == b"HMSG":
                    raw = reader.exact(int(parts[-1]))
                    header_bytes = int(parts[-2])
                    if raw[header_bytes:]:
                        return json.loads(raw[header_bytes:])
                    raise ServiceError("nats: empty reply with headers %r" % raw[:header_bytes])

    def stream_messages(self, stream):
        """Every message of `stream` in order, as (seq, subject, headers dict, data bytes)."""
        info = self.request("$JS.API.STREAM.INFO." + stream, b"")
        if "error" in info:
            raise ServiceError("stream info: %r" % info["error"])
        state = info["state"]
        out = []
        if state["messages"] == 0:
            return out
        for seq in range(state["first_seq"], state["last_seq"] + 1):
            reply = self.request("$JS.API.STREAM.MSG.GET." + stream,
                                 json.dumps({"seq": seq}).encode())
            if "error" in reply:
                continue  # a deleted message
            m = reply["message"]
            headers = {}
            if m.get("hdrs"):
                for header_line in base64.b64decode(m["hdrs"]).decode().split("\r\n")[1:]:
                    if ":" in header_line:
                        k, v = header_line.split(":", 1)
                        headers[k.strip()] = v.strip()
            out.append((m["seq"], m["subject"], headers, base64.b64decode(m.get("data", ""))))
        return out


class _NatsReader:
    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        part = self.sock.recv(65536)
        if not part:
            raise ServiceError("nats closed the connection")
        self.buf += part

    def line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exact(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data


class HaproxyServer(_ChildServer):
    """HAProxy (Debian's package) in the foreground with the project's deploy/haproxy.cfg, on
    127.0.0.1:<port>, in front of three instances given as "host:port"."""

    def __init__(self, config_path, instances):
        super().__init__("boxoffice-haproxy-")
        if len(instances) != 3:
            raise ValueError("deploy/haproxy.cfg names three instances")
        self.config_path = config_path
        self.instances = list(instances)

    @property
    def log_path(self):
        return os.path.join(self.tmp, "haproxy.log")

    def start(self):
        return self._start_on_free_port("haproxy", self._launch)

    def _launch(self):
        env = dict(os.environ)
        env["BOXOFFICE_LB_LISTEN"] = "127.0.0.1:%d" % self.port
        for name, address in zip("ABC", self.instances):
            env["BOXOFFICE_INSTANCE_" + name] = address
        self._spawn([HAPROXY, "-db", "-f", self.config_path], self.log_path, signal.SIGTERM,
                    env=env)
        return self._wait_ready(self._is_ready, self.log_path)

    def _is_ready(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def stop(self):
        self._end_process(signal.SIGTERM)
        self._remove_tmp()

# SPDX-License-Identifier: MIT
"""Shared helpers for jeton's end-to-end tests.

Run:  JETON_BIN=/abs/path/build/jeton /usr/bin/python3 -m pytest -q tests/e2e

Every test talks to a real `jeton serve` process over loopback HTTP and runs the
real `jeton` CLI against the same store file. Every wait is bounded in time, and
none waits for a lifetime, an expiry or a cache to age: the test clock is moved.
`make e2e` runs the files in parallel (pytest-xdist, -n 2 --dist loadfile): a test
uses servers of its own on free ports; one that must not run beside others is
marked alone.
"""
import datetime as dt
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
import zlib
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
JETON_BIN = os.environ.get("JETON_BIN") or str(REPO_ROOT / "build" / "jeton")

START_TIMEOUT = 10.0        # jeton serve must answer /v1/ping within this (ASan builds are slow)
STOP_TIMEOUT = 10.0         # SIGTERM -> exit within this
HTTP_TIMEOUT = 10.0         # any single HTTP exchange
CLI_TIMEOUT = 60.0          # any single CLI command
PROPAGATION = 3.0           # what is written a moment after the response (the audit log)
CACHE_SECONDS = 2           # past the 1 s lifetime of the verification cache and the key ring
ADMIN_EMAIL = "admin@localhost"

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
TOKEN_RE = re.compile(r"^jtp_[0-9A-Za-z]{38}$")
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
ALL_SCOPES = {"read_content", "write_content", "manage_space",
              "manage_tokens", "manage_users", "manage_apps",
              "report_leaks"}
# loopback only: never let an HTTP(S)_PROXY from the environment intercept requests or curl
for _var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
    os.environ.pop(_var, None)
os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                     "runtime error:", "ThreadSanitizer", "Segmentation fault")


# --------------------------------------------------------------------------- API answers

# The API description's drift check (make e2e): with JETON_OPENAPI_RECORD=DIR, every answer
# a test receives through requests from a path the description covers is appended, once per
# distinct answer, to DIR/<worker>.jsonl; tests/openapi/check_answers.py then checks each
# against docs/openapi.json. Answers read as a stream are recorded without their body.
OPENAPI_RECORD = os.environ.get("JETON_OPENAPI_RECORD", "")
OPENAPI_PREFIXES = ("/v1", "/oauth", "/auth", "/.well-known", "/healthz", "/metrics",
                    "/openapi.json")


def _record_answers(directory):
    import hashlib
    import threading
    import urllib.parse
    from requests.adapters import HTTPAdapter

    os.makedirs(directory, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    out = open(os.path.join(directory, f"{worker}-{os.getpid()}.jsonl"), "a", encoding="utf-8")
    lock, seen = threading.Lock(), set()
    send = HTTPAdapter.send

    def recording_send(self, request, stream=False, **kw):
        resp = send(self, request, stream=stream, **kw)
        url = urllib.parse.urlsplit(request.url)
        if url.hostname != "127.0.0.1" or not url.path.startswith(OPENAPI_PREFIXES):
            return resp
        body = None
        if not stream:
            try:
                body = resp.content.decode("utf-8")
            except UnicodeDecodeError:
                body = None
        entry = {"method": request.method, "path": url.path, "status": resp.status_code,
                 "headers": {k.lower(): v for k, v in resp.headers.items()
                             if k.lower() != "date"},
                 "body": body}
        line = json.dumps(entry, sort_keys=True)
        key = hashlib.sha256(line.encode()).digest()
        entry["test"] = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
        with lock:
            if key not in seen:
                seen.add(key)
                out.write(json.dumps(entry) + "\n")
                out.flush()
        return resp

    HTTPAdapter.send = recording_send


if OPENAPI_RECORD:
    _record_answers(OPENAPI_RECORD)


_BIN_COPY_DIR = None


def pytest_sessionstart(session):
    global JETON_BIN, _BIN_COPY_DIR
    if not (os.path.isfile(JETON_BIN) and os.access(JETON_BIN, os.X_OK)):
        pytest.exit(f"jeton binary not found or not executable at {JETON_BIN!r}; "
                    "build it (make) or set JETON_BIN", returncode=3)
    # test one fixed binary even if `make` replaces the original during the run
    _BIN_COPY_DIR = tempfile.mkdtemp(prefix="jeton-e2e-bin-")
    copy = os.path.join(_BIN_COPY_DIR, "jeton")
    shutil.copy2(JETON_BIN, copy)
    JETON_BIN = copy


def pytest_sessionfinish(session, exitstatus):
    if _BIN_COPY_DIR:
        shutil.rmtree(_BIN_COPY_DIR, ignore_errors=True)


# --------------------------------------------------------------------------- tokens

def checksum62(text):
    """CRC32 (zlib) of text as a 6-digit big-endian base62 number (0-9A-Za-z)."""
    n = zlib.crc32(text.encode("ascii")) & 0xFFFFFFFF
    digits = []
    for _ in range(6):
        n, r = divmod(n, 62)
        digits.append(ALPHABET[r])
    return "".join(reversed(digits))


def make_token(prefix="jtp_", body=None):
    """A well-formed token (valid checksum) that no server ever issued."""
    if body is None:
        body = "".join(random.choice(ALPHABET) for _ in range(32))
    head = prefix + body
    return head + checksum62(head)


def checksum_ok(token):
    return len(token) == 42 and checksum62(token[:36]) == token[36:]


def with_bad_checksum(token, pos=12):
    """The same token with one character of its random part changed (CRC32 sees it)."""
    c = token[pos]
    new = ALPHABET[(ALPHABET.index(c) + 1) % len(ALPHABET)]
    bad = token[:pos] + new + token[pos + 1:]
    assert not checksum_ok(bad)
    return bad


# --------------------------------------------------------------------------- time

def parse_time(s):
    assert isinstance(s, str) and TIME_RE.match(s), f"not an RFC 3339 UTC time: {s!r}"
    s = s[:-1]
    if "." in s:
        s = s.split(".")[0]
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)


def rfc3339(t):
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def utcnow():
    return dt.datetime.now(dt.timezone.utc)


def poll(fn, timeout=PROPAGATION, interval=0.05):
    """Call fn until it returns something truthy or timeout passes; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


def unique(prefix="x"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def unique_email(prefix="user"):
    return f"{unique(prefix)}@example.com"


# --------------------------------------------------------------------------- HTTP assertions

def parse_www_authenticate(value):
    """'Bearer realm="jeton", error="x"' -> ('bearer', {'realm': 'jeton', 'error': 'x'})"""
    m = re.match(r"\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$", value or "", re.S)
    assert m, f"unparseable WWW-Authenticate: {value!r}"
    params = {}
    for pm in re.finditer(r'([A-Za-z_][A-Za-z0-9_-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))',
                          m.group(2)):
        v = pm.group(2)
        params[pm.group(1).lower()] = (re.sub(r"\\(.)", r"\1", v) if v is not None
                                       else pm.group(3))
    return m.group(1).lower(), params


def describe(resp):
    return f"{resp.request.method} {resp.request.url} -> {resp.status_code} {resp.text[:400]!r}"


def assert_error(resp, status, error=None):
    """The response is `status` with a JSON body {error, error_description}."""
    assert resp.status_code == status, describe(resp)
    assert "application/json" in resp.headers.get("Content-Type", ""), \
        f"error body not JSON: {resp.headers.get('Content-Type')!r} {describe(resp)}"
    body = resp.json()
    if error is not None:
        assert body.get("error") == error, describe(resp)
    assert isinstance(body.get("error_description"), str) and body["error_description"], \
        describe(resp)
    return body


def assert_401(resp, token_presented=True):
    """401 invalid_token with the RFC 6750 challenge; returns the error_description."""
    body = assert_error(resp, 401, "invalid_token")
    header = resp.headers.get("WWW-Authenticate")
    assert header, f"401 without WWW-Authenticate: {describe(resp)}"
    scheme, params = parse_www_authenticate(header)
    assert scheme == "bearer", header
    assert params.get("realm") == "jeton", header
    if token_presented:
        assert params.get("error") == "invalid_token", header
        assert params.get("error_description"), header
    return body["error_description"]


def assert_403_scope(resp, scope):
    body = assert_error(resp, 403, "insufficient_scope")
    assert scope in body["error_description"], describe(resp)
    header = resp.headers.get("WWW-Authenticate")
    assert header, f"403 without WWW-Authenticate: {describe(resp)}"
    scheme, params = parse_www_authenticate(header)
    assert scheme == "bearer" and params.get("realm") == "jeton", header
    assert params.get("error") == "insufficient_scope", header
    assert scope in params.get("scope", "").split(), header


# --------------------------------------------------------------------------- processes

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("JETON_")}
    env.update(extra or {})
    return env


def run_jeton(*args, input=None, env=None, cwd=None, timeout=CLI_TIMEOUT):
    """Run the jeton binary with exactly these arguments."""
    return subprocess.run([JETON_BIN, *map(str, args)], input=input, capture_output=True,
                          text=True, env=clean_env(env), cwd=cwd, timeout=timeout)


def cli_ok(proc):
    assert proc.returncode == 0, (f"jeton {proc.args[1:]} exited {proc.returncode}\n"
                                  f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def json_lines(text):
    """A CLI list printed with --json: one compact JSON object a line."""
    lines = text.splitlines()
    assert all(line.startswith("{") and line.endswith("}") for line in lines), text
    return [json.loads(line) for line in lines]


# ---- PostgreSQL mode: JETON_TEST_PG=postgres://user@host:port/postgres runs every
# server on a fresh database of that cluster instead of an SQLite file.
PG_BASE = os.environ.get("JETON_TEST_PG", "")


class PgLocation:
    """A fresh PostgreSQL database standing in for a store file."""

    def __init__(self):
        self.name = "jt_" + uuid.uuid4().hex[:16]
        subprocess.run(["psql", PG_BASE, "-qAtc", f"CREATE DATABASE {self.name}"], check=True,
                       capture_output=True, timeout=30)
        self.used = False

    def __str__(self):
        return PG_BASE.rsplit("/", 1)[0] + "/" + self.name

    def __fspath__(self):
        return str(self)

    def exists(self):
        return self.used

    def sql(self, query):
        """Runs one query on the database; returns its rows as text lines."""
        p = subprocess.run(["psql", str(self), "-qAtc", query], capture_output=True, text=True,
                           timeout=30, check=True)
        return p.stdout.splitlines()


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: reads the SQLite store file itself")
    config.addinivalue_line("markers", "pg_only: needs the PostgreSQL store")
    config.addinivalue_line("markers", "long: waits seconds in real time (a real deadline, a "
                            "load): its file runs first, so that parallel workers end together")
    config.addinivalue_line("markers", "alone: must not run beside other tests of the suite "
                            "(make runs these one at a time after the others)")


def pytest_collection_modifyitems(config, items):
    long_files = {item.path for item in items if item.get_closest_marker("long")}
    items.sort(key=lambda item: item.path not in long_files)     # stable: files stay whole
    for item in items:
        if PG_BASE and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="reads the SQLite file; run without JETON_TEST_PG"))
        if not PG_BASE and item.get_closest_marker("pg_only"):
            item.add_marker(pytest.mark.skip(reason="needs JETON_TEST_PG"))


class Server:
    """One `jeton serve` process on 127.0.0.1:<free port> with its own store."""

    def __init__(self, workdir, extra_args=(), env=None, access_log=True, listen_flag=True,
                 db_flag=True, db_name="jeton.db", store=None, tls_ca=None):
        self.workdir = Path(workdir)
        # tls_ca: the server speaks HTTPS (its --tls-* flags in extra_args or env), with a
        # certificate of this CA (a PEM file), which requests then trusts
        self.tls_ca = str(tls_ca) if tls_ca else None
        self.workdir.mkdir(parents=True, exist_ok=True)
        # store: share another server's store (several nodes on one database)
        self.db = store if store is not None else (PgLocation() if PG_BASE
                                                   else self.workdir / db_name)
        self.extra_args = [str(a) for a in extra_args]
        self.env = dict(env or {})
        self.access_log = access_log
        self.listen_flag = listen_flag   # False: the address goes in JETON_LISTEN
        self.db_flag = db_flag           # False: the store path goes in JETON_DB
        self.proc = None
        self.port = None
        self.runs = 0
        self.exit_codes = []
        self._admin_token = None
        self.admin_password = None
        # the test clock (util/time.h): tests move it with advance(), never sleep
        self.clock_file = self.workdir / "clock"
        if not self.clock_file.exists():
            self.clock_file.write_text("0\n")
        self.env.setdefault("JETON_TEST_CLOCK", str(self.clock_file))

    # ---- process control
    @property
    def url(self):
        return f"{'https' if self.tls_ca else 'http'}://127.0.0.1:{self.port}"

    def command(self):
        cmd = [JETON_BIN, "serve"]
        if self.listen_flag:
            cmd += ["--listen", f"127.0.0.1:{self.port}"]
        if self.db_flag:
            cmd += ["--db", str(self.db)]
        if self.access_log:
            cmd.append("--access-log")
        return cmd + self.extra_args

    def start(self):
        assert self.proc is None, "already running"
        fresh = not self.db.exists()
        for _attempt in range(3):
            self.port = free_port()
            self.runs += 1
            env = dict(self.env)
            if not self.listen_flag:
                env["JETON_LISTEN"] = f"127.0.0.1:{self.port}"
            if not self.db_flag:
                env["JETON_DB"] = str(self.db)
            with open(self.stdout_path(), "wb") as out, open(self.stderr_path(), "wb") as err:
                self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                             stdout=out, stderr=err, env=clean_env(env),
                                             cwd=self.workdir, start_new_session=True)
            if self._wait_ready():
                break
            rc = self.proc.returncode
            self.proc = None
            if "in use" not in self.stderr_text(self.runs):
                raise RuntimeError(f"jeton serve exited with {rc} before answering /v1/ping\n"
                                   f"stderr:\n{self.stderr_text(self.runs)[-3000:]}")
        else:
            raise RuntimeError("jeton serve could not bind a port in 3 attempts")
        if isinstance(self.db, PgLocation):
            self.db.used = True
        if fresh:
            # the one-time password line; stdout may reach the file a moment later
            line = poll(lambda: re.search(r"jeton: admin (\S+) one-time password: (\S+)",
                                          self.stdout_text(self.runs)), timeout=3.0)
            if line:
                self.admin_password = line.group(2)
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                r = requests.get(self.url + "/v1/ping", timeout=1.0, verify=self.tls_ca or True)
                # the port may have been taken by another test's server since
                # free_port() saw it free: the answer must come from this one
                if r.status_code == 200 and f"jeton: listening on {self.url}" \
                        in self.stderr_text(self.runs):
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.proc.kill()
        self.proc.wait()
        raise RuntimeError(f"jeton serve did not answer /v1/ping within {START_TIMEOUT} s\n"
                           f"stderr:\n{self.stderr_text(self.runs)[-3000:]}")

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Send sig and wait; returns the exit status, or None if it had to be killed."""
        proc, self.proc = self.proc, None
        if proc is None:
            return None
        proc.send_signal(sig)
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = None
        self.exit_codes.append(rc)
        return rc

    def kill9(self):
        proc, self.proc = self.proc, None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=STOP_TIMEOUT)

    def restart(self):
        if self.proc is not None:
            rc = self.stop()
            assert rc == 0, f"jeton serve exited {rc} on SIGTERM"
        return self.start()

    def finish(self):
        """Fixture teardown: stop with SIGTERM; complain about a bad exit or sanitizer reports."""
        problems = []
        if self.proc is not None:
            rc = self.stop()
            if rc != 0:
                problems.append(f"jeton serve exited with {rc} on SIGTERM "
                                f"(None = still running after {STOP_TIMEOUT} s)")
        err = self.stderr_text()
        for marker in SANITIZER_MARKERS:
            if marker in err:
                i = err.index(marker)
                problems.append(f"sanitizer/crash report in server stderr:\n{err[i:i + 3000]}")
                break
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)

    # ---- the test clock, shared by this server and its CLI
    @property
    def clock_offset(self):
        return int(self.clock_file.read_text())

    def advance(self, seconds):
        """Moves this server's clock (and its CLI's) forward by seconds. Real time runs on
        beneath it, read by the server in whole seconds: a test that moves to just before a
        deadline stays 2 s short of it, as the second may turn between two requests."""
        tmp = self.clock_file.with_suffix(".tmp")
        tmp.write_text(f"{self.clock_offset + int(seconds)}\n")
        os.replace(tmp, self.clock_file)

    def now(self):
        """The server's idea of now, as a UTC datetime."""
        return utcnow() + dt.timedelta(seconds=self.clock_offset)

    # ---- logs
    def stdout_path(self, run=None):
        return self.workdir / f"serve-{run or self.runs}.stdout"

    def stderr_path(self, run=None):
        return self.workdir / f"serve-{run or self.runs}.stderr"

    def _read(self, path):
        try:
            return path.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def stdout_text(self, run=None):
        runs = [run] if run else range(1, self.runs + 1)
        return "".join(self._read(self.stdout_path(r)) for r in runs)

    def stderr_text(self, run=None):
        runs = [run] if run else range(1, self.runs + 1)
        return "".join(self._read(self.stderr_path(r)) for r in runs)

    def log_problems(self):
        """The warning and error lines of the server's log, but the test clock's own."""
        return [line for line in self.stderr_text().splitlines()
                if (" error " in line or " warn " in line) and "JETON_TEST_CLOCK" not in line]

    # ---- CLI against this server's store
    def cli(self, *args, input=None, env=None):
        env = {"JETON_TEST_CLOCK": self.env["JETON_TEST_CLOCK"], **(env or {})}
        return run_jeton("--db", self.db, *args, input=input, env=env, cwd=self.workdir)

    # ---- HTTP
    def request(self, method, path, token=None, auth=None, headers=None, **kw):
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        if auth is not None:
            h["Authorization"] = auth
        kw.setdefault("timeout", HTTP_TIMEOUT)
        kw.setdefault("allow_redirects", False)
        if self.tls_ca:
            kw.setdefault("verify", self.tls_ca)
        return requests.request(method, self.url + path, headers=h, **kw)

    def get(self, path, token=None, **kw):
        return self.request("GET", path, token=token, **kw)

    def post(self, path, token=None, **kw):
        return self.request("POST", path, token=token, **kw)

    def put(self, path, token=None, **kw):
        return self.request("PUT", path, token=token, **kw)

    def patch(self, path, token=None, **kw):
        return self.request("PATCH", path, token=token, **kw)

    def delete(self, path, token=None, **kw):
        return self.request("DELETE", path, token=token, **kw)

    # ---- users, spaces, tokens
    def audit_events(self, action=None, **params):
        """The audit log's events (of one action), newest first: GET /v1/audit as the admin."""
        if action:
            params["action"] = action
        r = self.get("/v1/audit", token=self.admin_token, params=params)
        assert r.status_code == 200, describe(r)
        return r.json()["items"]

    def store_sql(self, statement):
        """Runs one statement on this server's store, behind its back (tests that make the
        store fail a certain way)."""
        if isinstance(self.db, PgLocation):
            self.db.sql(statement)
        else:
            import sqlite3
            with sqlite3.connect(self.db) as db:
                db.execute(statement)

    def token_works(self, token):
        return self.get("/v1/me", token=token).status_code == 200

    def assert_token_works(self, token):
        r = self.get("/v1/me", token=token)
        assert r.status_code == 200, f"token not accepted: {describe(r)}"

    def after_cache(self):
        """Moves the clock past the verification cache's lifetime (and the key ring's): the
        next request sees what another process (the CLI, another node) changed in the store."""
        self.advance(CACHE_SECONDS)

    def refused_after_cache(self, token):
        """GET /v1/me with token once the cache lifetime has passed: asserts 401, returns it."""
        self.after_cache()
        r = self.get("/v1/me", token=token)
        assert r.status_code == 401, f"token still accepted after the cache lifetime: {describe(r)}"
        return r

    def create_token(self, email, name=None, scopes=None, expires=None, check=True):
        """A PAT made with `jeton token create`; checks that the server accepts it."""
        args = ["token", "create", "--user", email, "--name", name or unique("cli")]
        if scopes is not None:
            args += ["--scopes", " ".join(scopes)]
        if expires is not None:
            args += ["--expires", expires]
        p = cli_ok(self.cli(*args))
        token = p.stdout.strip()
        assert TOKEN_RE.match(token), f"token create printed {p.stdout!r}"
        if check:
            self.assert_token_works(token)    # nothing caches a token that was not found
        return token

    @property
    def admin_token(self):
        if self._admin_token is None:
            self._admin_token = self.create_token(ADMIN_EMAIL, name=unique("e2e-admin"))
        return self._admin_token

    def new_user(self, admin=False, name=None, email=None, password=None):
        body = {"email": email or unique_email(), "admin": admin}
        if name is not None:
            body["name"] = name
        if password is not None:
            body["password"] = password
        r = self.post("/v1/users", self.admin_token, json=body)
        assert r.status_code == 201, describe(r)
        return r.json()

    def new_space(self, name=None):
        r = self.post("/v1/spaces", self.admin_token, json={"name": name or unique("space")})
        assert r.status_code == 201, describe(r)
        return r.json()

    def grant(self, space_id, user, role, token=None):
        r = self.put(f"/v1/spaces/{space_id}/members/{user}", token or self.admin_token,
                     json={"role": role})
        assert r.status_code == 200, describe(r)
        return r.json()

    def create_pat(self, token, **body):
        """POST /v1/users/me/access_tokens; asserts 201 and returns the JSON body."""
        body.setdefault("name", unique("pat"))
        r = self.post("/v1/users/me/access_tokens", token, json=body)
        assert r.status_code == 201, describe(r)
        return r.json()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A fresh jeton server (fresh store) for each test module."""
    s = Server(tmp_path_factory.mktemp("jeton"))
    s.start()
    yield s
    s.finish()


@pytest.fixture(scope="module")
def admin_token(server):
    """A PAT of admin@localhost (every scope it holds), made with `jeton token create`."""
    return server.admin_token


@pytest.fixture(scope="module")
def cli(server):
    """cli(*args, input=None) -> CompletedProcess: `jeton --db <the server's store> args`."""
    return server.cli


# --------------------------------------------------------------------------- raw HTTP

class RawConn:
    """A bare TCP connection for requests that an HTTP library would refuse to send."""

    def __init__(self, port, timeout=HTTP_TIMEOUT):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def send(self, data):
        """Send; returns False if the server had already closed or reset the connection."""
        try:
            self.sock.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            return False

    def _fill(self):
        try:
            chunk = self.sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            chunk = b""
        self.buf += chunk
        return bool(chunk)

    def read_response(self, head_request=False):
        """(status, {lower-case header: value}, body) or None if closed without a response."""
        while b"\r\n\r\n" not in self.buf:
            if not self._fill():
                return None
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        body = b""
        if head_request or status in (204, 304) or 100 <= status < 200:
            pass
        elif "content-length" in headers:
            n = int(headers["content-length"])
            while len(self.buf) < n and self._fill():
                pass
            body, self.buf = self.buf[:n], self.buf[n:]
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            while True:
                while b"\r\n" not in self.buf:
                    if not self._fill():
                        return status, headers, body
                size_line, self.buf = self.buf.split(b"\r\n", 1)
                size = int(size_line.split(b";")[0], 16)
                while len(self.buf) < size + 2 and self._fill():
                    pass
                body += self.buf[:size]
                self.buf = self.buf[size + 2:]
                if size == 0:
                    break
        else:
            while self._fill():
                pass
            body, self.buf = self.buf, b""
        return status, headers, body

    def closed_by_peer(self, timeout=2.0):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b""
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()


def raw_exchange(port, data, timeout=HTTP_TIMEOUT):
    """Send raw bytes on a fresh connection and read one response (or None)."""
    c = RawConn(port, timeout)
    try:
        c.send(data)
        return c.read_response()
    finally:
        c.close()


def json_body(raw_response):
    return json.loads(raw_response[2].decode("utf-8"))

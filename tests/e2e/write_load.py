# SPDX-License-Identifier: MIT
"""Sustained writes from parallel keep-alive clients: PAT creation with the
store's WAL size sampled once a second (the WAL-bound test and soak), and
PAT creation with client-credentials issuance, pipelined, until the server
stops (the shutdown test)."""
import base64
import http.client
import json
import os
import threading
import time

from conftest import RawConn

PATH = "/v1/users/me/access_tokens"


def wal_bytes(db):
    try:
        return os.path.getsize(f"{db}-wal")
    except FileNotFoundError:
        return 0


def percentile(values, p):
    """The p-th percentile (0-100) of values, nearest rank; 0.0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


class WriteLoad:
    """clients threads creating PATs on one keep-alive connection each for
    seconds, or with tokens, until the second by which that many were created;
    afterwards: statuses, latencies (s) and the per-second WAL sizes."""

    def __init__(self, port, token, db, clients=4, seconds=20.0, tokens=None):
        self.port, self.token, self.db = port, token, db
        self.clients, self.seconds, self.tokens = clients, seconds, tokens
        self.statuses, self.latencies, self.wal = {}, [], []
        self._made = [0] * clients          # 201s so far, one counter per client
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def _client(self, i):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        statuses, latencies, k = {}, [], 0
        while not self._stop.is_set():
            body = json.dumps({"name": f"load-{i}-{k}", "scopes": ["manage_tokens"]})
            k += 1
            t0 = time.monotonic()
            try:
                conn.request("POST", PATH, body, headers)
                resp = conn.getresponse()
                resp.read()
                status = resp.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                status = 0
            latencies.append(time.monotonic() - t0)
            statuses[status] = statuses.get(status, 0) + 1
            self._made[i] += status == 201
        conn.close()
        with self._lock:
            self.latencies += latencies
            for s, n in statuses.items():
                self.statuses[s] = self.statuses.get(s, 0) + n

    def run(self):
        threads = [threading.Thread(target=self._client, args=(i,), daemon=True)
                   for i in range(self.clients)]
        start = time.monotonic()
        for t in threads:
            t.start()
        for second in range(1, int(self.seconds) + 1):
            while time.monotonic() < start + second:
                time.sleep(0.05)
            self.wal.append(wal_bytes(self.db))
            if self.tokens and sum(self._made) >= self.tokens:
                break
        self._stop.set()
        for t in threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in threads), "a load client hung"
        return self

    @property
    def created(self):
        return self.statuses.get(201, 0)

    def p99_ms(self):
        return percentile(self.latencies, 99) * 1000.0


class TokenLoad:
    """Keep-alive clients issuing tokens as fast as they can until stop() or until the
    server refuses connections: half create personal tokens (201), half get
    client-credentials tokens (200), each with depth requests pipelined on its connection
    so that the server always has the next request in hand. Keeps every token the server
    acknowledged and counts every other outcome; a response that does not come within
    timeout seconds counts as hung."""

    def __init__(self, port, pat, client_id, client_secret, clients=8, depth=8, timeout=10.0):
        self.port, self.depth, self.timeout = port, depth, timeout
        pat_body = json.dumps({"name": "under-load", "scopes": ["manage_tokens"]}).encode()
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        cc_body = b"grant_type=client_credentials"
        self.requests = [
            (f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {pat}\r\n"
             f"Content-Type: application/json\r\nContent-Length: {len(pat_body)}\r\n\r\n"
             ).encode() + pat_body,
            (f"POST /oauth/token HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {basic}\r\n"
             f"Content-Type: application/x-www-form-urlencoded\r\n"
             f"Content-Length: {len(cc_body)}\r\n\r\n").encode() + cc_body,
        ]
        self.clients = clients
        self.acknowledged, self.statuses = [], {}
        self.hung = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = []

    def _count(self, outcome):
        self.statuses[outcome] = self.statuses.get(outcome, 0) + 1

    def _exchange(self, conn, request, tokens):
        """Sends depth requests and reads their answers; False once the connection is
        done (closed by the server, or Connection: close)."""
        if not conn.send(request * self.depth):
            return False
        for _ in range(self.depth):
            t0 = time.monotonic()
            resp = conn.read_response()
            if resp is None:
                if time.monotonic() - t0 >= self.timeout * 0.9:
                    self.hung += 1
                return False
            status, headers, body = resp
            with self._lock:
                self._count(status)
            if status in (200, 201):
                answer = json.loads(body)
                tokens.append(answer.get("token") or answer["access_token"])
            if headers.get("connection", "").lower() == "close":
                return False
        return True

    def _client(self, i):
        request, tokens = self.requests[i % 2], []
        while not self._stop.is_set():
            try:
                conn = RawConn(self.port, timeout=self.timeout)
            except OSError:
                break                     # the listening socket is closed: the server stops
            try:
                while not self._stop.is_set() and self._exchange(conn, request, tokens):
                    pass
            finally:
                conn.close()
        with self._lock:
            self.acknowledged += tokens

    def start(self):
        self._threads = [threading.Thread(target=self._client, args=(i,), daemon=True)
                         for i in range(self.clients)]
        for t in self._threads:
            t.start()
        return self

    def join(self, timeout=30.0):
        """Waits for the clients to end by themselves (the server went away)."""
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in self._threads), "a load client hung"
        return self

    def stop(self):
        self._stop.set()
        return self.join()

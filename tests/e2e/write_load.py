# SPDX-License-Identifier: MIT
"""Sustained PAT creation from parallel keep-alive clients, with the store's
WAL size sampled once a second: the load of the WAL-bound test and soak."""
import http.client
import json
import os
import threading
import time

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

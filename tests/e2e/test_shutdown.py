# SPDX-License-Identifier: MIT
"""SIGTERM / SIGINT: stop accepting, answer 503 (and close) what comes on open connections,
finish in-flight requests, answer 503 what still waits when the grace ends, close the store,
exit 0 (docs/deploy.md, "Stopping")."""
import json
import signal
import sqlite3
import subprocess
import threading
import time

import pytest
import requests

from conftest import RawConn, Server, describe, json_body, poll

FEW_SECONDS = 5.0
GRACE = 5.0                      # LIMIT_SHUTDOWN_SECONDS


@pytest.fixture()
def srv(tmp_path):
    s = Server(tmp_path)
    s.start()
    yield s
    s.finish()


def _in_flight(s):
    """Requests the server is serving now, this one included."""
    text = requests.get(s.url + "/metrics", timeout=5).text
    return int(next(line.split()[1] for line in text.splitlines()
                    if line.startswith("jeton_http_requests_in_flight ")))


def _draining(s):
    """True once the server answers a new connection 503 (or no longer at all)."""
    try:
        return requests.get(s.url + "/v1/ping", timeout=5).status_code == 503
    except requests.ConnectionError:
        return True


def _stop_timed(s, sig=signal.SIGTERM):
    t0 = time.monotonic()
    rc = s.stop(sig)
    return rc, time.monotonic() - t0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_makes_the_server_exit_0_within_a_few_seconds(srv, sig):
    assert srv.get("/v1/me", token=srv.admin_token).status_code == 200
    rc, elapsed = _stop_timed(srv, sig)
    assert rc == 0, f"exit status {rc} (None = still running after 10 s)\n" \
                    f"{srv.stderr_text()[-2000:]}"
    assert elapsed < FEW_SECONDS, f"took {elapsed:.1f} s to exit"


def test_idle_keep_alive_connections_do_not_delay_shutdown(srv):
    conns = []
    try:
        for _ in range(5):
            c = RawConn(srv.port)
            c.send(b"GET /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            assert c.read_response()[0] == 200
            conns.append(c)
        rc, elapsed = _stop_timed(srv)
    finally:
        for c in conns:
            c.close()
    assert rc == 0, f"exit status {rc}"
    assert elapsed < FEW_SECONDS, f"took {elapsed:.1f} s to exit with idle connections open"


def test_in_flight_request_is_finished_before_exit(srv):
    token = srv.admin_token
    body = json.dumps({"name": "in-flight", "scopes": ["manage_tokens"]}).encode()
    c = RawConn(srv.port)
    try:
        c.send((f"POST /v1/users/me/access_tokens HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body[:10])
        # the server has the request's head: it counts it in flight
        assert poll(lambda: _in_flight(srv) >= 2), "the request's head never arrived"
        proc = srv.proc
        proc.send_signal(signal.SIGTERM)
        assert poll(lambda: _draining(srv)), "the server did not begin its stop"
        c.send(body[10:])
        resp = c.read_response()
    finally:
        c.close()
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        rc = None
    srv.proc = None
    assert resp is not None, "the in-flight request got no response"
    assert resp[0] == 201, resp[:2]
    created = json_body(resp)
    assert rc == 0, f"exit status {rc}"
    # and what it answered was kept
    srv.start()
    r = srv.get("/v1/me", token=created["token"])
    assert r.status_code == 200, describe(r)


def test_sigterm_under_load_exits_0_and_no_request_hangs(srv):
    token = srv.admin_token
    stop = threading.Event()
    outcomes, lock = [], threading.Lock()

    def worker():
        with requests.Session() as s:
            while not stop.is_set():
                try:
                    r = s.get(srv.url + "/v1/me", headers={"Authorization": f"Bearer {token}"},
                              timeout=5)
                    o = r.status_code
                except requests.ConnectionError:
                    o = "refused"
                except requests.Timeout:
                    o = "hung"
                with lock:
                    outcomes.append(o)
                if o != 200:
                    return
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    assert poll(lambda: outcomes.count(200) >= 20), "the load never got going"
    proc = srv.proc
    rc, elapsed = _stop_timed(srv)
    stop.set()
    for t in threads:
        t.join(timeout=10)
    assert rc == 0, f"exit status {rc}"
    assert elapsed < FEW_SECONDS, f"took {elapsed:.1f} s"
    assert "hung" not in outcomes
    assert outcomes.count(200) > 0
    bad = [o for o in outcomes if o not in (200, "refused", 503)]
    assert bad == [], f"requests during shutdown got {bad[:5]}"
    assert proc.returncode == 0


@pytest.mark.sqlite_only
def test_store_is_intact_after_sigterm(srv):
    pat = srv.create_pat(srv.admin_token, scopes=["manage_tokens"])
    rc = srv.stop()
    assert rc == 0
    p = subprocess.run(["sqlite3", str(srv.db), "PRAGMA integrity_check;"],
                       capture_output=True, text=True, timeout=30)
    assert p.stdout.strip() == "ok", (p.stdout, p.stderr)
    srv.start()
    assert srv.get("/v1/me", token=pat["token"]).status_code == 200


def _post(path, body, token=None, content_type="application/json"):
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def _requests_read(server):
    """How many requests the server has read the request line of: those answered and those
    in hand (this one included), from /metrics."""
    r = server.get("/metrics", token=server.admin_token)
    assert r.status_code == 200, describe(r)
    return sum(int(line.split()[-1]) for line in r.text.splitlines()
               if line.startswith(("jeton_http_requests_total{", "jeton_http_requests_in_flight ")))


def _wait_exit(proc):
    """The exit status once proc exits (None if it had to be killed), and the time it took."""
    t0 = time.monotonic()
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        rc = None
    return rc, time.monotonic() - t0


@pytest.mark.sqlite_only
def test_a_request_during_the_stop_gets_503_and_the_waiting_one_commits(srv):
    token = srv.admin_token
    idle = RawConn(srv.port)            # a keep-alive connection opened before the stop
    waiting = RawConn(srv.port)
    holder = sqlite3.connect(str(srv.db), isolation_level=None, timeout=1)
    try:
        idle.send(b"GET /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert idle.read_response()[0] == 200
        # another process holds the store's write lock: the creation waits for its commit
        holder.execute("BEGIN IMMEDIATE")
        waiting.send(_post("/v1/users/me/access_tokens",
                           json.dumps({"name": "waits", "scopes": ["manage_tokens"]}).encode(),
                           token))
        # in hand: the waiting creation and the /metrics request that counts it
        assert poll(lambda: _in_flight(srv) >= 2, timeout=5), "the creation never arrived"
        proc, srv.proc = srv.proc, None
        proc.send_signal(signal.SIGTERM)
        assert poll(lambda: _draining(srv), timeout=5), "the stop did not begin"
        idle.send(b"GET /v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        during = idle.read_response()
        assert idle.closed_by_peer(), "the connection stayed open after the 503"
        holder.execute("ROLLBACK")      # the writer commits, the waiting request is answered
        created = waiting.read_response()
        rc, _ = _wait_exit(proc)
    finally:
        holder.close()
        idle.close()
        waiting.close()
    assert during is not None, "a request on an open connection got no answer during the stop"
    assert during[0] == 503, during[:2]
    assert json_body(during)["error"] == "temporarily_unavailable"
    assert during[1].get("connection") == "close", during[1]
    assert during[1].get("retry-after") == "1", during[1]
    assert created is not None and created[0] == 201, created and created[:2]
    assert created[1].get("connection") == "close", created[1]
    assert rc == 0, f"exit status {rc}\n{srv.stderr_text()[-2000:]}"
    srv.start()
    assert srv.get("/v1/me", token=json_body(created)["token"]).status_code == 200


def test_what_still_waits_when_the_grace_ends_gets_503_and_the_stop_keeps_to_the_grace(srv):
    """Each new user's password is hashed with argon2id on two slow-work threads: far more
    users than they can hash before the grace ends are still queued then."""
    token, users = srv.admin_token, 600
    conns = []
    try:
        before = _requests_read(srv)
        for i in range(users):          # one request per connection: each one waits alone
            c = RawConn(srv.port)
            c.send(_post("/v1/users", json.dumps({"email": f"grace-{i}@example.com",
                                                  "password": "correct horse battery"}).encode(),
                         token))
            conns.append(c)
        # every request is in the server's hands before the stop (not in the listen backlog)
        asked = 1
        deadline = time.monotonic() + 10
        while _requests_read(srv) - before - asked < users and time.monotonic() < deadline:
            asked += 1
            time.sleep(0.05)
        assert time.monotonic() < deadline, "the requests did not all reach the server"
        proc, srv.proc = srv.proc, None
        proc.send_signal(signal.SIGTERM)
        rc, elapsed = _wait_exit(proc)
        answers = [c.read_response() for c in conns]
    finally:
        for c in conns:
            c.close()
    statuses = [a and a[0] for a in answers]
    assert rc == 0, f"exit status {rc}\n{srv.stderr_text()[-2000:]}"
    assert elapsed < GRACE, f"took {elapsed:.1f} s to exit"
    assert None not in statuses, f"{statuses.count(None)} requests got no answer"
    assert set(statuses) == {201, 503}, {s: statuses.count(s) for s in set(statuses)}
    late = [a for a in answers if a[0] == 503]
    assert all(a[1].get("connection") == "close" for a in late)
    assert "answered 503" in srv.stderr_text()


@pytest.mark.sqlite_only
def test_writes_still_waiting_for_the_store_when_the_grace_ends_get_503_and_exit_is_0(srv):
    """Another process holds the store's write lock past the grace. The store's writer holds
    the first creation (it waits for the lock, 5 s at most) and has the second queued behind
    it: both are answered 503 while the writer still holds them, and closing the store waits
    for the first, not for the second again."""
    token = srv.admin_token
    waiting = [RawConn(srv.port), RawConn(srv.port)]
    holder = sqlite3.connect(str(srv.db), isolation_level=None, timeout=1)
    try:
        holder.execute("BEGIN IMMEDIATE")          # held until jeton has exited
        before = _requests_read(srv)
        for i, c in enumerate(waiting):
            c.send(_post("/v1/users/me/access_tokens",
                         json.dumps({"name": f"too-late-{i}", "scopes": ["manage_tokens"]}).encode(),
                         token))
            time.sleep(0.1)                        # the writer takes the first alone
        deadline = time.monotonic() + 5
        while _requests_read(srv) - before < 4 and time.monotonic() < deadline:
            time.sleep(0.02)                       # both are in hand (and 2 /metrics)
        assert time.monotonic() < deadline, "the two creations did not reach the server"
        proc, srv.proc = srv.proc, None
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        answers = [c.read_response() for c in waiting]
        answered_after = time.monotonic() - t0
        rc, _ = _wait_exit(proc)
        exited_after = time.monotonic() - t0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        for c in waiting:
            c.close()
    assert [a and a[0] for a in answers] == [503, 503], [a and a[:2] for a in answers]
    assert all(a[1].get("connection") == "close" for a in answers)
    # at the end of the grace, less the part of it kept for closing (LIMIT_SHUTDOWN_CLOSE_MS):
    # about 3.75 s; not when the writer gives up on the lock, 5 s after the first began
    assert answered_after < GRACE - 0.5, f"answered {answered_after:.1f} s after SIGTERM"
    assert rc == 0, f"exit status {rc}\n{srv.stderr_text()[-2000:]}"
    # the first write began before the signal and waits for the lock at most 5 s
    assert exited_after < GRACE + 0.5, f"exited {exited_after:.1f} s after SIGTERM"
    assert "answered 503" in srv.stderr_text()

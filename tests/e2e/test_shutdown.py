# SPDX-License-Identifier: MIT
"""SIGTERM / SIGINT: stop accepting, finish in-flight requests, close the store, exit 0."""
import json
import signal
import subprocess
import threading
import time

import pytest
import requests

from conftest import RawConn, Server, describe, json_body

FEW_SECONDS = 5.0


@pytest.fixture()
def srv(tmp_path):
    s = Server(tmp_path)
    s.start()
    yield s
    s.finish()


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
        time.sleep(0.3)                      # the server has the request's head
        proc = srv.proc
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
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
    time.sleep(0.5)
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

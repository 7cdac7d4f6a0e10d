# SPDX-License-Identifier: MIT
"""Writes from many clients at once, and from the CLI while the server writes, all succeed."""
import threading

from conftest import HTTP_TIMEOUT, TOKEN_RE, assert_401, unique, unique_email

BASE = "/v1/users/me/access_tokens"


def _run_threads(target, n, join_timeout=60):
    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=join_timeout)
    assert not any(t.is_alive() for t in threads), "threads still running: requests hung"


def test_parallel_token_creation_all_succeeds_with_distinct_tokens(server, admin_token):
    results, lock = [], threading.Lock()

    def worker(i):
        for k in range(5):
            r = server.post(BASE, admin_token, json={"name": f"par-{i}-{k}",
                                                     "scopes": ["manage_tokens"]},
                            timeout=HTTP_TIMEOUT)
            with lock:
                results.append((r.status_code, r.json() if r.status_code == 201 else r.text))
    _run_threads(worker, 6)
    bad = [r for r in results if r[0] != 201]
    assert bad == [], bad[:3]
    ids = {b["id"] for _, b in results}
    tokens = {b["token"] for _, b in results}
    assert len(ids) == len(tokens) == 30
    for _, b in results[:10]:
        assert server.get("/v1/me", token=b["token"]).status_code == 200


def test_cli_writes_while_the_server_writes_all_succeed(server, admin_token):
    api_results, lock = [], threading.Lock()
    stop = threading.Event()

    def api_writer(i):
        for k in range(40):
            if stop.is_set():
                return
            r = server.post(BASE, admin_token, json={"name": f"mix-{i}-{k}",
                                                     "scopes": ["manage_tokens"]})
            with lock:
                api_results.append(r.status_code)

    threads = [threading.Thread(target=api_writer, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    try:
        cli_results = []
        for k in range(4):
            cli_results.append(server.cli("token", "create", "--user", "admin@localhost",
                                          "--name", unique("mix-cli")))
            cli_results.append(server.cli("user", "add", unique_email("mix")))
            cli_results.append(server.cli("space", "add", unique("mix-space")))
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    failed = [(p.args[3:], p.returncode, p.stderr) for p in cli_results if p.returncode != 0]
    assert failed == [], failed[:3]
    assert api_results and set(api_results) == {201}, sorted(set(api_results))
    for p in cli_results[::3]:
        assert TOKEN_RE.match(p.stdout.strip())
        server.assert_token_works(p.stdout.strip())


def test_revocation_racing_with_use_ends_with_the_token_refused(server, admin_token):
    pats = [server.create_pat(admin_token, scopes=["manage_tokens"]) for _ in range(5)]
    statuses, lock = [], threading.Lock()
    stop = threading.Event()

    def user(i):
        while not stop.is_set():
            r = server.get("/v1/me", token=pats[i % len(pats)]["token"])
            with lock:
                statuses.append(r.status_code)

    threads = [threading.Thread(target=user, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    try:
        for p in pats:
            r = server.put(f"{BASE}/{p['id']}/revoked", admin_token)
            assert r.status_code == 200
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
    assert set(statuses) <= {200, 401}, set(statuses)
    for p in pats:
        assert_401(server.get("/v1/me", token=p["token"]))


def test_simultaneous_rotations_of_one_token_give_exactly_one_new_token(server, admin_token):
    pat = server.create_pat(admin_token, scopes=["manage_tokens"])
    barrier = threading.Barrier(4)
    results, lock = [], threading.Lock()

    def rotate(i):
        barrier.wait(timeout=10)
        r = server.post(f"{BASE}/{pat['id']}/rotate", admin_token)
        with lock:
            results.append(r)
    _run_threads(rotate, 4)
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201, 409, 409, 409], statuses
    [new] = [r.json() for r in results if r.status_code == 201]
    assert server.get("/v1/me", token=new["token"]).status_code == 200
    assert_401(server.get("/v1/me", token=pat["token"]))
    listed = server.get(f"{BASE}?limit=100", admin_token).json()["items"]
    assert len([t for t in listed if t["name"] == pat["name"]]) == 2

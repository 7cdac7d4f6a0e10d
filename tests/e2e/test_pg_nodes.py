# SPDX-License-Identifier: MIT
"""Several jeton nodes on one PostgreSQL database: a token made through one
works on the other; revocations, rotations, disabled users and membership
changes made through one node take effect on the other within one second
(the other node's clock is moved by that second); and a node survives
PostgreSQL stopping and coming back."""
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import Server, describe, unique

pytestmark = pytest.mark.pg_only

CROSS_NODE_SECONDS = 1     # the promise: every node within one second
CLUSTER = Path(__file__).resolve().parents[1] / "pg" / "cluster.sh"


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    a = Server(tmp_path_factory.mktemp("node-a"))
    a.start()
    b = Server(tmp_path_factory.mktemp("node-b"), store=a.db)
    b.start()
    yield a, b
    b.finish()
    a.finish()


def _until(check, limit):
    """Seconds until check() is true, polling every 20 ms, or None after limit."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if check():
            return time.monotonic() - start
        time.sleep(0.02)
    return None


def _within_a_second(node, check, what):
    """check() holds once node's clock has moved on by CROSS_NODE_SECONDS."""
    node.advance(CROSS_NODE_SECONDS)
    assert check(), f"{what}: not seen on the other node {CROSS_NODE_SECONDS} s later"


def test_both_nodes_share_one_store(nodes):
    a, b = nodes
    assert a.db is b.db
    assert b.get("/v1/ping").status_code == 200
    assert "one-time password" not in b.stdout_text(), "the second node initialised again"


def test_a_token_created_through_one_node_verifies_on_the_other(nodes):
    a, b = nodes
    pat = a.create_pat(a.admin_token, scopes=["manage_tokens"])
    r = b.get("/v1/me", token=pat["token"])
    assert r.status_code == 200, describe(r)
    assert r.json()["token"]["id"] == pat["id"]


def test_revocation_on_one_node_reaches_the_other_within_a_second(nodes):
    a, b = nodes
    pat = a.create_pat(a.admin_token, scopes=["manage_tokens"])
    assert b.token_works(pat["token"])          # now cached on b
    r = a.put(f"/v1/users/me/access_tokens/{pat['id']}/revoked", a.admin_token)
    assert r.status_code == 200, describe(r)
    assert not a.token_works(pat["token"])      # at once on a
    _within_a_second(b, lambda: b.get("/v1/me", token=pat["token"]).status_code == 401,
                     "revocation")


def test_rotation_on_one_node_reaches_the_other_within_a_second(nodes):
    a, b = nodes
    pat = a.create_pat(a.admin_token, scopes=["manage_tokens"])
    assert b.token_works(pat["token"])
    r = a.post(f"/v1/users/me/access_tokens/{pat['id']}/rotate", a.admin_token)
    assert r.status_code == 201, describe(r)
    assert b.token_works(r.json()["token"])
    _within_a_second(b, lambda: not b.token_works(pat["token"]), "rotation")


def test_disabling_a_user_on_one_node_reaches_the_other_within_a_second(nodes):
    a, b = nodes
    user = a.new_user()
    token = a.create_token(user["email"], scopes=["manage_tokens"])
    assert b.token_works(token)
    r = a.patch(f"/v1/users/{user['id']}", a.admin_token, json={"disabled": True})
    assert r.status_code == 200, describe(r)
    _within_a_second(b, lambda: not b.token_works(token), "disabling a user")


def test_a_membership_change_on_one_node_reaches_the_other_within_a_second(nodes):
    a, b = nodes
    user = a.new_user()
    space = a.new_space()
    a.grant(space["id"], user["id"], "viewer")
    token = a.create_token(user["email"], scopes=["manage_tokens", "read_content"])

    def role_on_b():
        spaces = b.get("/v1/me", token=token).json()["spaces"]
        return [s["role"] for s in spaces if s["id"] == space["id"]]

    assert role_on_b() == ["viewer"]
    a.grant(space["id"], user["id"], "editor")
    _within_a_second(b, lambda: role_on_b() == ["editor"], "a role change")
    r = a.delete(f"/v1/spaces/{space['id']}/members/{user['id']}", a.admin_token)
    assert r.status_code == 204, describe(r)
    _within_a_second(b, lambda: role_on_b() == [], "removal from a space")


def test_client_credentials_from_one_node_introspect_on_the_other(nodes):
    a, b = nodes
    r = a.post("/v1/apps", a.admin_token, json={"name": unique("machine"),
                                                "scopes": ["read_content"]})
    assert r.status_code == 201, describe(r)
    app = r.json()
    auth = (app["client_id"], app["client_secret"])
    tok = requests.post(a.url + "/oauth/token", data={"grant_type": "client_credentials"},
                        auth=auth, timeout=10)
    assert tok.status_code == 200, describe(tok)
    r = requests.post(b.url + "/oauth/introspect", data={"token": tok.json()["access_token"]},
                      auth=auth, timeout=10)
    assert r.status_code == 200 and r.json()["active"] is True, describe(r)


# ---- faults: PostgreSQL stops under load and comes back

def _cluster(*args):
    subprocess.run([str(CLUSTER), *args], check=True, capture_output=True, timeout=60)


@pytest.mark.alone      # stops the cluster every other test of the suite uses
@pytest.mark.skipif(not os.environ.get("JETON_TEST_PG_DIR"),
                    reason="needs JETON_TEST_PG_DIR to stop and start the cluster")
def test_a_node_fails_fast_while_postgres_is_down_and_recovers_by_itself(nodes):
    a, _ = nodes
    pg_dir = os.environ["JETON_TEST_PG_DIR"]
    kept = a.create_pat(a.admin_token, scopes=["manage_tokens"])   # acknowledged: 201
    results = []             # (seconds, status or exception name)
    stop_load = threading.Event()

    def load():
        while not stop_load.is_set():
            start = time.monotonic()
            try:
                status = requests.get(a.url + "/v1/users/me/access_tokens",
                                      headers={"Authorization": "Bearer " + kept["token"]},
                                      timeout=10).status_code
            except requests.RequestException as e:
                status = type(e).__name__
            results.append((time.monotonic() - start, status))
            time.sleep(0.01)

    def answered(status, since=0):
        return lambda: any(s == status for _, s in results[since:])

    worker = threading.Thread(target=load, daemon=True)
    worker.start()
    try:
        assert _until(answered(200), 5) is not None, "the load got no answer before the fault"
        _cluster("stop", pg_dir)
        # Not ready, quickly.
        assert _until(lambda: a.get("/healthz").status_code == 503, 5) is not None, \
            "/healthz did not report the store down"
        r = a.get("/healthz")
        assert r.json()["status"] == "unavailable"
        # A request that needs the store fails fast, with a JSON 503.
        start = time.monotonic()
        r = a.get("/v1/users/me/access_tokens", token=kept["token"])
        assert time.monotonic() - start < 2.5, "a request hung while PostgreSQL was down"
        assert r.status_code == 503, describe(r)
        assert r.json()["error"] == "temporarily_unavailable"
        assert _until(answered(503), 5) is not None, "the load saw no 503 while PostgreSQL was down"
    finally:
        _cluster("restart", pg_dir)
    restarted = len(results)
    # The node recovers by itself.
    assert _until(lambda: a.get("/healthz").status_code == 200, 15) is not None, \
        "the node did not recover after PostgreSQL came back"
    assert _until(lambda: a.token_works(kept["token"]), 10) is not None, \
        "an acknowledged token was lost"
    assert _until(answered(200, restarted), 5) is not None, "the load was not served again"
    stop_load.set()
    worker.join(15)
    assert a.proc.poll() is None, "the node died"
    statuses = {s for _, s in results}
    assert statuses <= {200, 503}, f"unexpected answers under the fault: {statuses}"
    assert 503 in statuses and 200 in statuses
    slowest = max(t for t, _ in results)
    assert slowest < 3.0, f"a request took {slowest:.1f} s"

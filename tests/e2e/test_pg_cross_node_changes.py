# SPDX-License-Identifier: MIT
"""Nodes on one PostgreSQL database tell each other what they change (LISTEN/NOTIFY): a
revocation made through node A is refused by node B within milliseconds, not when B's
one-second cache entry expires (docs/deploy.md publishes the bound); so are a disabled user,
a role change, a narrowed app, a revocation and a key rotation made by the CLI. When the
connection on which a node listens is lost, the one-second cache lifetime still bounds what
it serves, and the connection comes back by itself. No test moves the clock: the times are
real."""
import subprocess
import time

import pytest
import requests

from conftest import HTTP_TIMEOUT, PG_BASE, Server, cli_ok, describe, unique

pytestmark = pytest.mark.pg_only

TOKENS = 200            # revoked one after another, each polled on the other node
TARGET_P99 = 0.100      # seconds: the published bound (docs/deploy.md)
ASSERTED_P99 = 0.250    # what this test enforces on a loaded machine
FAST = 0.250            # any other change seen on the other node within this
FALLBACK = 1.0          # the verification cache's lifetime (LIMIT_CACHE_TTL_MS) ...
FALLBACK_SLACK = 0.5    # ... and the time a loaded machine may add to it
GIVE_UP = 3.0           # polling one change longer than this: it never came
LISTENER = "jeton-listen"   # the application_name of a node's listening connection


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    a = Server(tmp_path_factory.mktemp("node-a"))
    a.start()
    # every node of a deployment has the same key-encryption key (docs/deploy.md)
    b = Server(tmp_path_factory.mktemp("node-b"), store=a.db,
               extra_args=["--key-file", a.workdir / "jeton.key"])
    b.start()
    yield a, b
    b.finish()
    a.finish()


class Client:
    """Keep-alive HTTP to one node, so that a poll costs a request and no connection."""

    def __init__(self, node):
        self.node = node
        self.session = requests.Session()

    def request(self, method, path, token, **kw):
        return self.session.request(method, self.node.url + path, timeout=HTTP_TIMEOUT,
                                    headers={"Authorization": f"Bearer {token}"}, **kw)


def _seconds_until(check):
    """Real seconds until check() is true, checking as fast as it answers; None past GIVE_UP."""
    start = time.monotonic()
    while time.monotonic() - start < GIVE_UP:
        if check():
            return time.monotonic() - start
    return None


def _refused(client, token):
    r = client.request("GET", "/v1/me", token)
    assert r.status_code in (200, 401), describe(r)
    return r.status_code == 401


def _revoke_and_time(a, b, admin, pat):
    """Revokes pat through A once B has it cached; seconds from A's answer until B refuses."""
    assert not _refused(b, pat["token"]), "B refused the token before its revocation"
    r = a.request("PUT", f"/v1/users/me/access_tokens/{pat['id']}/revoked", admin)
    assert r.status_code == 200, describe(r)
    return _seconds_until(lambda: _refused(b, pat["token"]))


def _percentile(sorted_values, p):
    """Nearest-rank percentile."""
    rank = max(1, -(-len(sorted_values) * p // 100))
    return sorted_values[int(rank) - 1]


def test_revocations_reach_the_other_node_within_milliseconds(nodes):
    node_a, node_b = nodes
    a, b = Client(node_a), Client(node_b)
    admin = node_a.admin_token
    pats = [node_a.create_pat(admin, scopes=["manage_tokens"]) for _ in range(TOKENS)]
    latencies = []
    for pat in pats:
        seconds = _revoke_and_time(a, b, admin, pat)
        assert seconds is not None, f"B still accepted a token {GIVE_UP} s after its revocation"
        latencies.append(seconds)
    latencies.sort()
    p50, p99, worst = (_percentile(latencies, 50), _percentile(latencies, 99), latencies[-1])
    print(f"\ncross-node revocation, {TOKENS} tokens revoked on A, time until B refuses: "
          f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {worst * 1000:.1f} ms "
          f"(target p99 <= {TARGET_P99 * 1000:.0f} ms)")
    assert p99 <= ASSERTED_P99, \
        (f"p99 {p99 * 1000:.0f} ms until the other node refused a revoked token "
         f"(p50 {p50 * 1000:.0f} ms, max {worst * 1000:.0f} ms)")


def test_every_kind_of_change_reaches_the_other_node_within_milliseconds(nodes):
    node_a, node_b = nodes
    a, b = Client(node_a), Client(node_b)
    admin = node_a.admin_token

    # a user disabled through A
    user = node_a.new_user()
    token = node_a.create_token(user["email"], scopes=["manage_tokens"])
    assert not _refused(b, token)
    r = a.request("PATCH", f"/v1/users/{user['id']}", admin, json={"disabled": True})
    assert r.status_code == 200, describe(r)
    seconds = _seconds_until(lambda: _refused(b, token))
    assert seconds is not None and seconds <= FAST, f"a disabled user: {seconds} s"

    # a role changed through A
    user = node_a.new_user()
    space = node_a.new_space()
    node_a.grant(space["id"], user["id"], "viewer")
    token = node_a.create_token(user["email"], scopes=["manage_tokens", "read_content"])

    def role_on_b():
        r = b.request("GET", "/v1/me", token)
        assert r.status_code == 200, describe(r)
        return [s["role"] for s in r.json()["spaces"] if s["id"] == space["id"]]

    assert role_on_b() == ["viewer"]
    node_a.grant(space["id"], user["id"], "editor")
    seconds = _seconds_until(lambda: role_on_b() == ["editor"])
    assert seconds is not None and seconds <= FAST, f"a role change: {seconds} s"

    # an app narrowed through A: its client-credentials token loses the scope on B
    r = a.request("POST", "/v1/apps", admin,
                 json={"name": unique("machine"), "scopes": ["read_content", "write_content"]})
    assert r.status_code == 201, describe(r)
    app = r.json()
    auth = (app["client_id"], app["client_secret"])
    r = requests.post(node_a.url + "/oauth/token", data={"grant_type": "client_credentials"},
                      auth=auth, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, describe(r)
    access = r.json()["access_token"]

    def scopes_on_b():
        r = b.session.post(node_b.url + "/oauth/introspect", data={"token": access}, auth=auth,
                           timeout=HTTP_TIMEOUT)
        assert r.status_code == 200 and r.json()["active"] is True, describe(r)
        return set(r.json()["scope"].split())

    assert scopes_on_b() == {"read_content", "write_content"}
    r = a.request("PATCH", f"/v1/apps/{app['id']}", admin, json={"scopes": ["read_content"]})
    assert r.status_code == 200, describe(r)
    seconds = _seconds_until(lambda: scopes_on_b() == {"read_content"})
    assert seconds is not None and seconds <= FAST, f"a narrowed app: {seconds} s"

    # a revocation by the CLI, which writes to the store directly
    pat = node_a.create_pat(admin, scopes=["manage_tokens"])
    assert not _refused(b, pat["token"])
    cli_ok(node_a.cli("token", "revoke", str(pat["id"])))
    seconds = _seconds_until(lambda: _refused(b, pat["token"]))
    assert seconds is not None and seconds <= FAST, f"a revocation by the CLI: {seconds} s"

    # a signing key rotated by the CLI: B publishes it
    def kids_on_b():
        r = b.session.get(node_b.url + "/.well-known/jwks.json", timeout=HTTP_TIMEOUT)
        assert r.status_code == 200, describe(r)
        return {k["kid"] for k in r.json()["keys"]}

    kids_on_b()
    node_a.advance(1)        # keys are dated to the second
    node_b.advance(1)
    kid = cli_ok(node_a.cli("keys", "rotate")).stdout.strip()
    seconds = _seconds_until(lambda: kid in kids_on_b())
    assert seconds is not None and seconds <= FAST, f"a key rotation by the CLI: {seconds} s"


# ---- the listening connection lost

def _sql(query):
    """Runs query on the cluster's maintenance database (the nodes' own may refuse
    connections); its rows as text lines."""
    p = subprocess.run(["psql", PG_BASE, "-qAtc", query], capture_output=True, text=True,
                       timeout=30, check=True)
    return p.stdout.splitlines()


def _listeners(db):
    return set(_sql(f"SELECT pid FROM pg_stat_activity WHERE application_name = '{LISTENER}' "
                    f"AND datname = '{db.name}'"))


def _until(check, limit):
    """check() polled every 50 ms until true; false after limit seconds."""
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_node_that_lost_its_listening_connection_falls_back_then_reconnects(nodes):
    node_a, node_b = nodes
    a, b = Client(node_a), Client(node_b)
    admin = node_a.admin_token
    db = node_a.db
    assert _until(lambda: len(_listeners(db)) == 2, 5), \
        f"not one listening connection per node: {_listeners(db)}"
    before = _listeners(db)
    pat = node_a.create_pat(admin, scopes=["manage_tokens"])
    later = node_a.create_pat(admin, scopes=["manage_tokens"])

    # The database refuses new connections, so the listeners cannot come back yet; the
    # nodes keep the connections they hold for everything else.
    _sql(f"ALTER DATABASE {db.name} ALLOW_CONNECTIONS false")
    try:
        _sql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
             f"WHERE application_name = '{LISTENER}' AND datname = '{db.name}'")
        assert _until(lambda: not _listeners(db), 5), "the listening connections outlived " \
                                                      "pg_terminate_backend"
        seconds = _revoke_and_time(a, b, admin, pat)
        assert seconds is not None and seconds <= FALLBACK + FALLBACK_SLACK, \
            f"B accepted a revoked token for {seconds} s without its listening connection"
    finally:
        _sql(f"ALTER DATABASE {db.name} ALLOW_CONNECTIONS true")

    # Back by themselves, on new sessions; and revocations are fast again.
    assert _until(lambda: len(_listeners(db) - before) == 2, 10), \
        f"the nodes did not listen again: {_listeners(db)}"
    seconds = _revoke_and_time(a, b, admin, later)
    assert seconds is not None and seconds <= FAST, \
        f"after reconnecting, B refused a revoked token only after {seconds} s"


def test_the_other_node_reports_how_late_it_heard_of_changes(nodes):
    from test_metrics import check_histogram, parse
    node_a, node_b = nodes
    a, b = Client(node_a), Client(node_b)
    admin = node_a.admin_token

    def heard():
        r = b.session.get(node_b.url + "/metrics", timeout=HTTP_TIMEOUT)
        assert r.status_code == 200, describe(r)
        fam = parse(r.text)["jeton_store_change_heard_lag_seconds"]
        count, total, _ = check_histogram(fam, "jeton_store_change_heard_lag_seconds")
        return count, total

    count0, total0 = heard()
    for _ in range(5):
        pat = node_a.create_pat(admin, scopes=["manage_tokens"])
        assert _revoke_and_time(a, b, admin, pat) is not None
    count1, total1 = heard()
    assert count1 - count0 >= 5, (count0, count1)
    # both nodes run on this machine, one clock: each change came in well under a second
    assert 0 < (total1 - total0) / (count1 - count0) < FALLBACK

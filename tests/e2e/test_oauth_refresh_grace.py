# SPDX-License-Identifier: MIT
"""Refresh rotation that survives races and lost responses (issue 16, part 2): within the
app's grace window (refresh_grace, 30 s by default) a rotated refresh token presented again
gets the very successor its rotation produced, the same access and refresh token, so retries
and parallel refreshes are idempotent; after the window, reuse is theft as before (RFC 9700
§4.14.2): the whole grant is revoked."""
import json
import threading
import time

import pytest

from conftest import cli_ok, describe
from oauth_helpers import (assert_oauth_error, code_app, me_status, member, refresh,
                           refused_after_cache, tokens)

PARALLEL = 20       # refreshes with one token released together
RUNS = 4            # each a fresh grant; a race lost 1 time in 3 shows at once
TIME_BUDGET = 60.0  # seconds for all runs (ASan builds are slow)


@pytest.fixture(scope="module")
def app(server):
    return code_app(server, name="Graceful")


@pytest.fixture(scope="module")
def strict_app(server):
    return code_app(server, name="Strict", refresh_grace=0)


@pytest.fixture(scope="module")
def user(server):
    return member(server, role="editor", name="Grace Retry")


def _ok(r):
    assert r.status_code == 200, describe(r)
    return r.json()


def _pair(body):
    return body["access_token"], body["refresh_token"]


def test_apps_have_a_30_second_grace_window_by_default(server, app, strict_app):
    assert app["refresh_grace"] == 30
    assert strict_app["refresh_grace"] == 0
    r = server.post("/v1/apps", server.admin_token,
                    json={"name": "Too graceful", "redirect_uris": ["https://c.example/cb"],
                          "refresh_grace": 301})
    assert r.status_code == 400, describe(r)


def test_the_cli_sets_the_grace_window(server):
    out = cli_ok(server.cli("app", "create", "--name", "CLI grace", "--redirect-uri",
                            "https://c.example/cb", "--refresh-grace", "2m", "--json")).stdout
    assert json.loads(out)["refresh_grace"] == 120


def test_a_retry_within_the_window_gets_the_same_successor(server, app, user):
    first = tokens(server, app, user)
    one = _ok(refresh(server, app, first["refresh_token"]))
    server.advance(28)          # 2 s short of the 30 s window (the test clock's advance())
    again = _ok(refresh(server, app, first["refresh_token"]))
    assert _pair(again) == _pair(one)
    assert again["scope"] == one["scope"]
    assert 0 < again["expires_in"] <= one["expires_in"] - 28
    assert me_status(server, again["access_token"]) == 200
    # the successor is a normal refresh token: it rotates once more
    _ok(refresh(server, app, again["refresh_token"]))


def test_parallel_refreshes_with_one_token_all_get_the_same_pair(server, app, user):
    deadline = time.monotonic() + TIME_BUDGET
    runs = 0
    while runs < RUNS and time.monotonic() < deadline:
        runs += 1
        first = tokens(server, app, user)
        start = threading.Barrier(PARALLEL)
        responses = [None] * PARALLEL

        def worker(i):
            start.wait(timeout=10)
            responses[i] = refresh(server, app, first["refresh_token"])

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(PARALLEL)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in threads), "a refresh hung"
        pairs = {_pair(_ok(r)) for r in responses}
        assert len(pairs) == 1, pairs
        access, refresh_token = pairs.pop()
        assert me_status(server, access) == 200
        _ok(refresh(server, app, refresh_token))
    assert runs >= 2, "too slow to race"


def test_reuse_after_the_window_revokes_the_grant(server, app, user):
    first = tokens(server, app, user)
    successor = _ok(refresh(server, app, first["refresh_token"]))
    server.advance(31)
    body = assert_oauth_error(refresh(server, app, first["refresh_token"]), 400, "invalid_grant")
    assert "already used" in body["error_description"]
    assert refused_after_cache(server, successor["access_token"])
    assert_oauth_error(refresh(server, app, successor["refresh_token"]), 400, "invalid_grant")


def test_reuse_after_the_successor_was_used_is_theft_within_the_window(server, app, user):
    first = tokens(server, app, user)
    second = _ok(refresh(server, app, first["refresh_token"]))
    third = _ok(refresh(server, app, second["refresh_token"]))
    # the client moved on: the first token again is no retry
    assert_oauth_error(refresh(server, app, first["refresh_token"]), 400, "invalid_grant")
    assert refused_after_cache(server, third["access_token"])


def test_without_a_window_any_reuse_revokes_the_grant(server, strict_app, user):
    first = tokens(server, strict_app, user)
    successor = _ok(refresh(server, strict_app, first["refresh_token"]))
    assert_oauth_error(refresh(server, strict_app, first["refresh_token"]), 400, "invalid_grant")
    assert refused_after_cache(server, successor["access_token"])


@pytest.mark.sqlite_only
def test_the_purge_wipes_sealed_successors_once_their_window_ended(server, app, user):
    import sqlite3

    def sealed():
        db = sqlite3.connect(str(server.db), isolation_level=None, timeout=5)
        try:
            return db.execute("SELECT count(*) FROM refresh_successors").fetchone()[0]
        finally:
            db.close()

    first = tokens(server, app, user)
    _ok(refresh(server, app, first["refresh_token"]))
    assert sealed() >= 1
    server.advance(31)
    cli_ok(server.cli("purge"))
    assert sealed() == 0


def test_a_retry_the_store_cannot_look_up_is_no_reuse(server, app, user):
    """When the store fails to say whether a presented rotated token is a retry, the answer
    is that failure (503), never the reuse verdict that revokes the whole grant."""
    first = tokens(server, app, user)
    successor = _pair(_ok(refresh(server, app, first["refresh_token"])))
    server.store_sql("ALTER TABLE refresh_successors RENAME TO refresh_successors_away")
    try:
        r = refresh(server, app, first["refresh_token"])
    finally:
        server.store_sql("ALTER TABLE refresh_successors_away RENAME TO refresh_successors")
    assert_oauth_error(r, 503, "temporarily_unavailable")
    assert me_status(server, successor[0]) == 200           # the grant was not revoked
    assert _pair(_ok(refresh(server, app, first["refresh_token"]))) == successor

# SPDX-License-Identifier: MIT
"""Parallel redemptions of one authorization code: one wins, the others are told the code was
already used, and the winner's tokens die with the replay, whatever the interleaving (the
code's consumption and the tokens it yields commit together; RFC 6749 §4.1.2)."""
import threading
import time

import pytest

from conftest import describe
from oauth_helpers import (Browser, assert_oauth_error, authorize_code, code_app, exchange,
                           introspect, member, refresh)

RUNS = 30            # a 1-in-3 race shows in 30 runs with odds of about 1 in 200,000
PARALLEL = 3         # redemptions of each code at the same moment
TIME_BUDGET = 90.0   # seconds for all runs (ASan builds are slow)


@pytest.fixture(scope="module")
def app(server):
    return code_app(server, name="Racing Client")


@pytest.fixture(scope="module")
def user(server):
    return member(server, role="editor", name="Rita Race")


def _redeem_at_once(server, app, flow):
    """PARALLEL exchanges of flow's code released together; their responses."""
    start = threading.Barrier(PARALLEL)
    responses = [None] * PARALLEL

    def worker(i):
        start.wait(timeout=10)
        responses[i] = exchange(server, app, flow)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a token request hung"
    return responses


def test_a_raced_code_leaves_no_token_of_the_winner_alive(server, app, user):
    browser = Browser(server)   # logs in once; every run is a new consent
    deadline = time.monotonic() + TIME_BUDGET
    runs = 0
    while runs < RUNS and time.monotonic() < deadline:
        runs += 1
        flow = authorize_code(server, app, user, browser=browser)
        responses = _redeem_at_once(server, app, flow)
        won = [r for r in responses if r.status_code == 200]
        assert len(won) == 1, [describe(r) for r in responses]
        for r in responses:
            if r is not won[0]:
                body = assert_oauth_error(r, 400, "invalid_grant")
                assert "already used" in body["error_description"], describe(r)
        tokens = won[0].json()
        # every replay answered after revoking: the winner's tokens are refused at once
        i = introspect(server, app, tokens["access_token"])
        assert i.status_code == 200 and i.json() == {"active": False}, \
            f"run {runs}: the winner's access token is still active: {describe(i)}"
        me = server.get("/v1/me", token=tokens["access_token"])
        assert me.status_code == 401, f"run {runs}: {describe(me)}"
        i = introspect(server, app, tokens["refresh_token"])
        assert i.status_code == 200 and i.json() == {"active": False}, \
            f"run {runs}: the winner's refresh token is still active: {describe(i)}"
        assert_oauth_error(refresh(server, app, tokens["refresh_token"]), 400, "invalid_grant")
    assert runs >= 10, f"only {runs} runs in {TIME_BUDGET} s"

# SPDX-License-Identifier: MIT
"""Password guesses are throttled across every node of one PostgreSQL database, not per node:
the failures counted by node A hold node B back too, and guesses sent in parallel to both
nodes reach the password check no more often than they would on one node (docs/api.md,
Password guesses). The nodes trust 127.0.0.1 as a proxy, so each test picks its clients'
addresses with X-Forwarded-For."""
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import HTTP_TIMEOUT, Server, describe
from oauth_helpers import PASSWORD, add_user

pytestmark = pytest.mark.pg_only

FREE_FAILS = 3          # an account's failures before each attempt waits (docs/api.md)
PARALLEL = 40           # wrong guesses sent at once, half to each node
REPEATS = 6             # a 1-in-3 race shows with probability 1 - (2/3)^6 > 91 %
BURST_DEADLINE = 60.0   # seconds for all the bursts


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    args = ["--allow-user-credentials", "--trusted-proxy", "127.0.0.1/32"]
    a = Server(tmp_path_factory.mktemp("node-a"), extra_args=args)
    a.start()
    b = Server(tmp_path_factory.mktemp("node-b"), store=a.db,
               extra_args=args + ["--key-file", a.workdir / "jeton.key"])
    b.start()
    yield a, b
    b.finish()
    a.finish()


def _address():
    """A fresh address (198.18.0.0/15, for tests): no earlier failure counts against it."""
    return f"198.18.{random.randrange(256)}.{random.randrange(1, 255)}"


def _guess(node, email, password, address):
    """The password form of client_credentials at /oauth/token."""
    return requests.post(node.url + "/oauth/token",
                         data={"grant_type": "client_credentials", "client_id": email,
                               "client_secret": password},
                         headers={"X-Forwarded-For": address}, allow_redirects=False,
                         timeout=HTTP_TIMEOUT)


def _most_checked(elapsed):
    """How many failures of one account, from one address, may be checked within elapsed
    seconds: the free ones, then one after each wait of 1, 2, 4 ... s."""
    n, waited, wait = FREE_FAILS, 0, 1
    while waited + wait <= elapsed:
        n, waited, wait = n + 1, waited + wait, wait * 2
    return n


def test_failures_on_one_node_hold_back_the_other(nodes):
    a, b = nodes
    user = add_user(a)
    address = _address()
    for i in range(FREE_FAILS):
        r = _guess(a, user["email"], f"wrong-on-a-{i}-xxxx", address)
        assert r.status_code == 401, describe(r)
    r = _guess(b, user["email"], "wrong-on-b-xxxxxxxx", address)
    assert r.status_code == 429, f"node B did not count node A's failures: {describe(r)}"
    assert r.json()["error"] == "slow_down", describe(r)
    assert int(r.headers["Retry-After"]) >= 1, r.headers
    # the right password, from the same address, waits too: it is not checked
    r = _guess(b, user["email"], PASSWORD, address)
    assert r.status_code == 429, describe(r)


def test_parallel_guesses_at_both_nodes_reach_the_password_check_at_most_the_limit(nodes):
    a, b = nodes
    deadline = time.monotonic() + BURST_DEADLINE
    for _ in range(REPEATS):
        assert time.monotonic() < deadline, "the bursts took too long"
        user = add_user(a)
        address = _address()
        guesses = [(a if i % 2 else b, f"wrong-guess-{i:02d}-xyz") for i in range(PARALLEL)]
        gate = threading.Barrier(len(guesses))

        def one(guess):
            node, password = guess
            gate.wait(timeout=HTTP_TIMEOUT)
            return _guess(node, user["email"], password, address)

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=len(guesses)) as pool:
            responses = list(pool.map(one, guesses))
        limit = _most_checked(time.monotonic() - started)
        checked = sum(r.status_code == 401 for r in responses)
        assert checked >= 1, "no guess reached the password check"
        assert checked <= limit, \
            (f"{checked} of {PARALLEL} parallel wrong guesses at two nodes reached the password "
             f"check (limit {limit}): {sorted(r.status_code for r in responses)}")
        for r in responses:
            assert r.status_code in (401, 429), describe(r)
            if r.status_code == 429:
                assert int(r.headers["Retry-After"]) >= 1, r.headers

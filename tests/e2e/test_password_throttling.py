# SPDX-License-Identifier: MIT
"""Password guesses are throttled on every path that checks a password: POST /login and the
password form of client_credentials at /oauth/token. Each attempt is reserved before the
password is checked, so guesses sent in parallel cannot all reach the check. An account under
guessing slows down (a growing Retry-After) instead of locking, and its owner still gets in from
an address that has not failed on it. The server trusts 127.0.0.1 as a proxy, so each test
picks its clients' addresses with X-Forwarded-For."""
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import HTTP_TIMEOUT, Server, describe, poll
from oauth_helpers import PASSWORD, add_user, find_form

FREE_FAILS = 3             # an account's failures before each attempt waits (docs/api.md)
WINDOW = 900               # seconds
PARALLEL = 60              # wrong guesses sent at once
REPEATS = 6                # a 1-in-3 race shows with probability 1 - (2/3)^6 > 91 %
BURST_DEADLINE = 60.0      # seconds for all the bursts of one test


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """A server of its own (its clock is moved) with the password form of client_credentials."""
    s = Server(tmp_path_factory.mktemp("jeton-throttle"),
               extra_args=["--allow-user-credentials", "--trusted-proxy", "127.0.0.1/32"])
    s.start()
    yield s
    s.finish()


def _login_form(server):
    """The login form's fields and the CSRF cookie they go with."""
    s = requests.Session()
    r = s.get(server.url + "/login", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, describe(r)
    return dict(find_form(r, "/login").fields), s.cookies.get("jeton_csrf")


def _client(address):
    return {"X-Forwarded-For": address} if address else {}


def _login(server, form, email, password, address=None):
    fields, csrf = form
    return requests.post(server.url + "/login", data=dict(fields, email=email, password=password),
                         cookies={"jeton_csrf": csrf}, headers=_client(address),
                         allow_redirects=False, timeout=HTTP_TIMEOUT)


def _token(server, email, password, address=None):
    return requests.post(server.url + "/oauth/token",
                         data={"grant_type": "client_credentials", "client_id": email,
                               "client_secret": password},
                         headers=_client(address), allow_redirects=False, timeout=HTTP_TIMEOUT)


def _most_checked(elapsed):
    """How many failures of one account, from one address, may be checked within elapsed
    seconds: the free ones, then one after each wait of 1, 2, 4 ... s."""
    n, waited, wait = FREE_FAILS, 0, 1
    while waited + wait <= elapsed:
        n, waited, wait = n + 1, waited + wait, wait * 2
    return n


def _burst(send, passwords):
    """Sends every password at once (one thread each, released together); the responses in
    the order of passwords."""
    gate = threading.Barrier(len(passwords))

    def one(password):
        gate.wait(timeout=HTTP_TIMEOUT)
        return send(password)

    with ThreadPoolExecutor(max_workers=len(passwords)) as pool:
        return list(pool.map(one, passwords))


def _parallel_guesses_are_capped(srv, send, ok_status):
    deadline = time.monotonic() + BURST_DEADLINE
    for _ in range(REPEATS):
        assert time.monotonic() < deadline, "the bursts took too long"
        # a new window for the address, so each burst starts from a clean slate
        srv.advance(WINDOW)
        user = add_user(srv)
        passwords = [f"wrong-guess-{i:02d}-xyz" for i in range(PARALLEL)] + [PASSWORD]
        random.shuffle(passwords)
        started = time.monotonic()
        responses = _burst(lambda pw: send(user["email"], pw), passwords)
        limit = _most_checked(time.monotonic() - started)
        wrong_checked = sum(r.status_code == 401 for r in responses)
        assert wrong_checked <= limit, \
            (f"{wrong_checked} of {PARALLEL} parallel wrong guesses reached the password check "
             f"(limit {limit}): {sorted(r.status_code for r in responses)}")
        for r in responses:
            assert r.status_code in (401, 429, ok_status), describe(r)
            if r.status_code == 429:
                assert int(r.headers["Retry-After"]) >= 1, r.headers


def test_parallel_login_guesses_reach_the_password_check_at_most_the_limit(srv):
    form = _login_form(srv)
    _parallel_guesses_are_capped(srv, lambda email, pw: _login(srv, form, email, pw), 303)


def test_parallel_token_guesses_reach_the_password_check_at_most_the_limit(srv):
    _parallel_guesses_are_capped(srv, lambda email, pw: _token(srv, email, pw), 200)


# --------------------------------------------------------------------------- slowing down

STRANGER = "198.51.100.66"
OWNER = "203.0.113.7"


def test_an_account_under_guessing_waits_longer_after_each_failure(srv):
    form = _login_form(srv)
    user = add_user(srv)
    for i in range(FREE_FAILS):
        r = _login(srv, form, user["email"], f"wrong-free-{i}-xxxx", STRANGER)
        assert r.status_code == 401, describe(r)
    waits = []
    for i in range(4):
        r = _login(srv, form, user["email"], f"wrong-{i}-xxxxxxxx", STRANGER)
        assert r.status_code == 429, describe(r)
        wait = int(r.headers["Retry-After"])
        waits.append(wait)
        srv.advance(wait)
        r = _login(srv, form, user["email"], f"wrong-after-{i}-xxxx", STRANGER)
        assert r.status_code == 401, f"still refused after waiting {wait} s: {describe(r)}"
    assert waits == [1, 2, 4, 8], waits


def test_a_strangers_guesses_do_not_keep_the_owner_out(srv):
    form = _login_form(srv)
    user = add_user(srv)
    for i in range(10):
        _login(srv, form, user["email"], f"stranger-guess-{i}", STRANGER)
        _token(srv, user["email"], f"stranger-guess-{i}", STRANGER)
    r = _login(srv, form, user["email"], PASSWORD, STRANGER)
    assert r.status_code == 429, f"the stranger was never slowed down: {describe(r)}"
    # the owner, from an address that has not failed on the account, gets in at once, again
    for _ in range(3):
        r = _login(srv, form, user["email"], PASSWORD, OWNER)
        assert r.status_code == 303, f"the owner was locked out by a stranger: {describe(r)}"
        r = _token(srv, user["email"], PASSWORD, OWNER)
        assert r.status_code == 200, f"the owner was locked out by a stranger: {describe(r)}"
    # the stranger is still kept waiting
    r = _login(srv, form, user["email"], PASSWORD, STRANGER)
    assert r.status_code == 429, describe(r)


# --------------------------------------------------------------------------- the audit log

def _audit_events(server, **params):
    r = server.get("/v1/audit", server.admin_token, params=dict(params, limit=100))
    assert r.status_code == 200, describe(r)
    return r.json()["items"]


def test_throttled_logins_write_one_audit_event_per_account_and_address(srv):
    form = _login_form(srv)
    user = add_user(srv)
    for i in range(FREE_FAILS):
        _login(srv, form, user["email"], f"wrong-free-{i}-xxxx", STRANGER)
    refused = 0
    for i in range(40):
        refused += _login(srv, form, user["email"], f"wrong-{i}-xxxxxxxx", STRANGER).status_code == 429
    assert refused >= 30, f"only {refused} of 40 attempts were throttled"
    # the owner's login comes after every one of them in the audit log
    assert _login(srv, form, user["email"], PASSWORD, OWNER).status_code == 303
    assert poll(lambda: _audit_events(srv, actor=user["email"], action="login.succeeded")), \
        "the owner's login was never recorded"
    throttled = [e for e in _audit_events(srv, actor=user["email"], action="login.failed")
                 if e["target"] == "throttled"]
    assert len(throttled) == 1, f"{len(throttled)} audit events for {refused} throttled attempts"
    assert throttled[0]["ip"] == STRANGER, throttled[0]

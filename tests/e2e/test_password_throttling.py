# SPDX-License-Identifier: MIT
"""Password guesses are throttled on every path that checks a password: POST /login and the
password form of client_credentials at /oauth/token. Each attempt is reserved before the
password is checked, so guesses sent in parallel cannot all reach the check."""
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import HTTP_TIMEOUT, Server, describe
from oauth_helpers import PASSWORD, add_user, find_form

ACCOUNT_LIMIT = 5          # failures of one account in a window (docs/api.md)
WINDOW = 900               # seconds
PARALLEL = 60              # wrong guesses sent at once
REPEATS = 6                # a 1-in-3 race shows with probability 1 - (2/3)^6 > 91 %
BURST_DEADLINE = 60.0      # seconds for all the bursts of one test


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """A server of its own (its clock is moved) with the password form of client_credentials."""
    s = Server(tmp_path_factory.mktemp("jeton-throttle"), extra_args=["--allow-user-credentials"])
    s.start()
    yield s
    s.finish()


def _login_form(server):
    """The login form's fields and the CSRF cookie they go with."""
    s = requests.Session()
    r = s.get(server.url + "/login", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, describe(r)
    return dict(find_form(r, "/login").fields), s.cookies.get("jeton_csrf")


def _login(server, form, email, password):
    fields, csrf = form
    return requests.post(server.url + "/login", data=dict(fields, email=email, password=password),
                         cookies={"jeton_csrf": csrf}, allow_redirects=False,
                         timeout=HTTP_TIMEOUT)


def _token(server, email, password):
    return requests.post(server.url + "/oauth/token",
                         data={"grant_type": "client_credentials", "client_id": email,
                               "client_secret": password},
                         allow_redirects=False, timeout=HTTP_TIMEOUT)


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
        responses = _burst(lambda pw: send(user["email"], pw), passwords)
        wrong_checked = sum(r.status_code == 401 for r in responses)
        assert wrong_checked <= ACCOUNT_LIMIT, \
            (f"{wrong_checked} of {PARALLEL} parallel wrong guesses reached the password check "
             f"(limit {ACCOUNT_LIMIT}): {sorted(r.status_code for r in responses)}")
        for r in responses:
            assert r.status_code in (401, 429, ok_status), describe(r)
            if r.status_code == 429:
                assert int(r.headers["Retry-After"]) >= 1, r.headers
        right = responses[passwords.index(PASSWORD)]
        if right.status_code == 429:
            # the account is throttled: the right password stays refused
            again = send(user["email"], PASSWORD)
            assert again.status_code == 429, describe(again)


def test_parallel_login_guesses_reach_the_password_check_at_most_the_limit(srv):
    form = _login_form(srv)
    _parallel_guesses_are_capped(srv, lambda email, pw: _login(srv, form, email, pw), 303)


def test_parallel_token_guesses_reach_the_password_check_at_most_the_limit(srv):
    _parallel_guesses_are_capped(srv, lambda email, pw: _token(srv, email, pw), 200)

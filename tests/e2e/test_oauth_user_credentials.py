# SPDX-License-Identifier: MIT
"""Apinizer's form of client_credentials: a user's email and password as client_id and
client_secret, only with `serve --allow-user-credentials` (or JETON_ALLOW_USER_CREDENTIALS=1):
the seed's curl example, its exact 401 body, throttling, off by default."""
import json
import subprocess

import pytest

from conftest import HTTP_TIMEOUT, Server, describe, unique_email
from oauth_helpers import (PASSWORD, add_user, assert_oauth_error, client_token, create_app, member,
                           token_post)

BAD_CREDENTIALS = {"error": "unauthorized_client", "error_description": "Bad credentials"}


@pytest.fixture(scope="module")
def allowing(tmp_path_factory):
    """A server started with --allow-user-credentials."""
    s = Server(tmp_path_factory.mktemp("jeton-usercreds"), extra_args=["--allow-user-credentials"])
    s.start()
    yield s
    s.finish()


def _curl(server, email, password):
    """The seed's cURL example, verbatim but for the URL and the credentials."""
    p = subprocess.run(
        ["curl", "-sS", "--max-time", str(int(HTTP_TIMEOUT)), "--noproxy", "*",
         "-X", "POST",
         f"{server.url}/oauth/token",
         "-H", "Content-Type: application/x-www-form-urlencoded",
         "-H", "Accept: application/json",
         "-d", f"grant_type=client_credentials&client_id={email}&client_secret={password}",
         "-w", "\n%{http_code}"],
        capture_output=True, text=True, timeout=HTTP_TIMEOUT + 5)
    assert p.returncode == 0, p.stderr
    body, status = p.stdout.rsplit("\n", 1)
    return int(status), json.loads(body)


def _form(server, email, password, **extra):
    data = {"grant_type": "client_credentials", "client_id": email, "client_secret": password}
    data.update(extra)
    return token_post(server, data)


def test_apinizer_curl_example_gets_a_bearer_token_for_an_hour(allowing):
    user = member(allowing, role="editor")
    status, body = _curl(allowing, user["email"], PASSWORD)
    assert status == 200, body
    assert body["token_type"] == "Bearer", body
    assert body["expires_in"] == 3600, body
    assert isinstance(body["access_token"], str) and body["access_token"], body
    assert "refresh_token" not in body, body
    r = allowing.get("/v1/me", token=body["access_token"])
    assert r.status_code == 200, describe(r)
    me = r.json()
    assert me["user"]["email"] == user["email"]
    # all the user's scopes
    assert {"read_content", "write_content"} <= set(me["token"]["scopes"]), me
    assert [s["id"] for s in me["spaces"]] == [user["space"]["id"]]


def test_token_response_is_not_cached(allowing):
    user = add_user(allowing)
    r = _form(allowing, user["email"], PASSWORD)
    assert r.status_code == 200, describe(r)
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers


def test_scope_asked_narrows_the_token(allowing):
    user = member(allowing, role="editor")
    r = _form(allowing, user["email"], PASSWORD, scope="read_content")
    assert r.status_code == 200, describe(r)
    me = allowing.get("/v1/me", token=r.json()["access_token"]).json()
    assert me["token"]["scopes"] == ["read_content"]


def test_scope_the_user_does_not_hold_is_refused(allowing):
    user = member(allowing, role="viewer")
    r = _form(allowing, user["email"], PASSWORD, scope="manage_users")
    assert r.status_code == 400, describe(r)
    assert "access_token" not in r.json()


def test_bad_password_is_exactly_apinizers_401(allowing):
    user = add_user(allowing)
    status, body = _curl(allowing, user["email"], "not-the-password-1")
    assert status == 401
    assert body == BAD_CREDENTIALS
    r = _form(allowing, user["email"], "not-the-password-2")
    assert r.status_code == 401, describe(r)
    assert r.json() == BAD_CREDENTIALS


def test_unknown_email_gets_the_same_401(allowing):
    status, body = _curl(allowing, unique_email("ghost"), PASSWORD)
    assert status == 401
    assert body == BAD_CREDENTIALS


def test_disabled_user_gets_the_same_401(allowing):
    user = add_user(allowing)
    r = allowing.patch(f"/v1/users/{user['id']}", allowing.admin_token, json={"disabled": True})
    assert r.status_code == 200, describe(r)
    r = _form(allowing, user["email"], PASSWORD)
    assert r.status_code == 401, describe(r)
    assert r.json() == BAD_CREDENTIALS


def test_repeated_failures_are_throttled(allowing):
    # an account waits 1, 2, 4 ... s after its third failure (docs/api.md, Password guesses)
    user = add_user(allowing)
    seen = []
    for i in range(3):
        r = _form(allowing, user["email"], f"wrong-password-{i}")
        seen.append(r.status_code)
    assert seen == [401] * 3, seen
    r = _form(allowing, user["email"], "wrong-password-again")
    assert_oauth_error(r, 429, "slow_down")
    assert int(r.headers["Retry-After"]) >= 1, r.headers
    # now even the right password is refused for a while
    r = _form(allowing, user["email"], PASSWORD)
    assert_oauth_error(r, 429, "slow_down")
    # another account is not affected
    other = add_user(allowing)
    assert _form(allowing, other["email"], PASSWORD).status_code == 200


def test_apps_still_use_client_credentials_on_the_same_server(allowing):
    app = create_app(allowing)
    r = client_token(allowing, app, auth="post")
    assert r.status_code == 200, describe(r)
    assert r.json()["access_token"].startswith("jtc_")


def test_without_the_flag_the_same_request_is_invalid_client(server):
    user = add_user(server)
    status, body = _curl(server, user["email"], PASSWORD)
    assert status == 401, body
    assert body.get("error") == "invalid_client", body
    assert "access_token" not in body


def test_the_environment_variable_also_allows_it(tmp_path):
    s = Server(tmp_path / "env", env={"JETON_ALLOW_USER_CREDENTIALS": "1"})
    s.start()
    try:
        user = add_user(s)
        r = _form(s, user["email"], PASSWORD)
        assert r.status_code == 200, describe(r)
        assert r.json()["expires_in"] == 3600
    finally:
        s.finish()

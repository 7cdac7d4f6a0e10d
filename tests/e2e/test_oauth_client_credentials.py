# SPDX-License-Identifier: MIT
"""The client_credentials grant: Basic and post client authentication, scopes, the jtc_ token
acting as the app (no user, no refresh token, never manage_tokens), public clients refused,
tokens durable across kill -9, and Beyond Identity's curl form."""
import base64
import json
import subprocess

import pytest
import requests

from conftest import HTTP_TIMEOUT, Server, assert_error, describe, make_token
from oauth_helpers import (REDIRECT, assert_oauth_error, assert_token, client_token, create_app,
                           token_post)


@pytest.fixture(scope="module")
def app(server):
    return create_app(server, name="Machine Client", scopes=["read_content", "write_content"])


def _ok(r, scope=None):
    assert r.status_code == 200, describe(r)
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers
    body = r.json()
    assert_token(body["access_token"], "jtc_")
    assert body["token_type"] == "Bearer", body
    assert body["expires_in"] == 900, body
    assert "refresh_token" not in body, body
    if scope is not None:
        assert set(body["scope"].split()) == set(scope.split()), body
    return body


def test_client_secret_basic(server, app):
    body = _ok(client_token(server, app, auth="basic"), scope="read_content write_content")
    assert server.token_works(body["access_token"])


def test_client_secret_post(server, app):
    body = _ok(client_token(server, app, auth="post"), scope="read_content write_content")
    assert server.token_works(body["access_token"])


def test_scope_subset(server, app):
    body = _ok(client_token(server, app, scope="read_content"), scope="read_content")
    me = server.get("/v1/me", token=body["access_token"]).json()
    assert me["token"]["scopes"] == ["read_content"]


@pytest.mark.parametrize("scope", ["manage_users", "read_content manage_space", "manage_tokens",
                                   "no_such_scope"])
def test_scope_beyond_the_app_is_invalid_scope(server, app, scope):
    assert_oauth_error(client_token(server, app, scope=scope), 400, "invalid_scope")


def test_me_shows_the_app_and_no_user(server, app):
    body = _ok(client_token(server, app))
    r = server.get("/v1/me", token=body["access_token"])
    assert r.status_code == 200, describe(r)
    me = r.json()
    assert me.get("user") is None, me
    assert app["client_id"] in r.text, me
    assert me["token"]["kind"] != "pat"
    assert set(me["token"]["scopes"]) == {"read_content", "write_content"}
    assert "manage_tokens" not in me["scopes"]


def test_client_token_cannot_manage_personal_tokens(server, app):
    token = _ok(client_token(server, app))["access_token"]
    for method, path, kw in (("GET", "/v1/users/me/access_tokens", {}),
                             ("POST", "/v1/users/me/access_tokens", {"json": {"name": "x"}})):
        r = server.request(method, path, token=token, **kw)
        assert_error(r, 403, "insufficient_scope")


def test_client_token_cannot_use_user_info(server, app):
    token = _ok(client_token(server, app))["access_token"]
    r = server.get("/oauth/user_info", token=token)
    assert r.status_code == 403, describe(r)


def test_token_rights_follow_the_apps_current_scopes(server, admin_token):
    app = create_app(server, scopes=["read_content", "write_content"])
    token = _ok(client_token(server, app))["access_token"]
    r = server.patch(f"/v1/apps/{app['id']}", admin_token, json={"scopes": ["read_content"]})
    assert r.status_code == 200, describe(r)
    r = server.get("/v1/me", token=token)      # at once: the change drops the cache
    assert r.status_code == 200, describe(r)
    assert r.json()["scopes"] == ["read_content"], r.text


def test_no_refresh_grant_for_client_tokens(server, app):
    token = _ok(client_token(server, app))["access_token"]
    r = token_post(server, {"grant_type": "refresh_token", "refresh_token": token}, client=app)
    assert_oauth_error(r, 400, "unauthorized_client")
    assert "access_token" not in r.json()


def test_public_client_is_refused(server):
    public = create_app(server, public=True, redirect_uris=[REDIRECT])
    r = client_token(server, public, auth="id")
    assert_oauth_error(r, 401, "invalid_client")
    assert "access_token" not in r.json()


def test_code_only_app_cannot_use_client_credentials(server):
    code_only = create_app(server, redirect_uris=[REDIRECT])
    assert_oauth_error(client_token(server, code_only), 400, "unauthorized_client")


@pytest.mark.parametrize("auth", ["basic", "post"])
def test_wrong_secret_is_invalid_client(server, app, auth):
    r = client_token(server, dict(app, client_secret=make_token("jts_")), auth=auth)
    assert_oauth_error(r, 401, "invalid_client")
    if auth == "basic":
        assert r.headers.get("WWW-Authenticate", "").lower().startswith("basic"), r.headers


def test_two_authentication_methods_at_once_are_refused(server, app):
    r = token_post(server, {"grant_type": "client_credentials", "client_id": app["client_id"],
                            "client_secret": app["client_secret"]}, client=app, auth="basic")
    assert_oauth_error(r, 400, "invalid_request")
    assert "access_token" not in r.json()


def test_beyond_identity_curl_form_with_space_separated_scopes(server, app):
    """curl -u "$CLIENT_ID:$CLIENT_SECRET" --basic -d "grant_type=client_credentials&scope=$SCOPES"
    with SCOPES a space-separated list, as in the seed (the space goes on the wire as is)."""
    scopes = "read_content write_content"
    p = subprocess.run(
        ["curl", "-sS", "--max-time", str(int(HTTP_TIMEOUT)), "--noproxy", "*",
         f"{server.url}/oauth/token", "-X", "POST",
         "-u", f"{app['client_id']}:{app['client_secret']}", "--basic",
         "-H", "Content-Type: application/x-www-form-urlencoded",
         "-d", f"grant_type=client_credentials&scope={scopes}",
         "-w", "\n%{http_code}"],
        capture_output=True, text=True, timeout=HTTP_TIMEOUT + 5)
    assert p.returncode == 0, p.stderr
    body, status = p.stdout.rsplit("\n", 1)
    assert status == "200", p.stdout
    token = json.loads(body)
    assert_token(token["access_token"], "jtc_")
    assert set(token["scope"].split()) == {"read_content", "write_content"}
    assert server.token_works(token["access_token"])


def test_beyond_identity_node_form_without_scope_gets_every_scope(server, app):
    basic = base64.b64encode(f"{app['client_id']}:{app['client_secret']}".encode()).decode()
    r = requests.post(server.url + "/oauth/token", data="grant_type=client_credentials",
                      headers={"Authorization": "Basic " + basic,
                               "Content-Type": "application/x-www-form-urlencoded"},
                      timeout=HTTP_TIMEOUT)
    _ok(r, scope="read_content write_content")


def test_tokens_survive_kill_9_right_after_issuance(tmp_path):
    s = Server(tmp_path / "durable")
    s.start()
    try:
        app = create_app(s, scopes=["read_content"])
        issued = []
        for _ in range(3):
            issued.append(_ok(client_token(s, app))["access_token"])
            s.kill9()                    # no time to flush anything after the 200
            s.start()
        for token in issued:
            r = s.get("/v1/me", token=token)
            assert r.status_code == 200, f"token lost by kill -9: {describe(r)}"
        # and the app's secret survived too
        _ok(client_token(s, app))
    finally:
        s.finish()

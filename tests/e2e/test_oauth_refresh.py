# SPDX-License-Identifier: MIT
"""The refresh_token grant: a new access token, rotation and reuse detection (RFC 9700
§4.14), Storyblok-style non-rotating refresh tokens, narrowing scope, binding to the client
and to an active user."""
import pytest

from conftest import cli_ok, describe, make_token, unique
from oauth_helpers import (REDIRECT, assert_oauth_error, assert_token, code_app, create_app,
                           me_status, member, refresh, refused_after_cache, tokens)


@pytest.fixture(scope="module")
def rotating_app(server):
    """Confidential, rotate_refresh true (the default)."""
    return code_app(server, name="Rotating")


@pytest.fixture(scope="module")
def keeping_app(server):
    """Confidential, rotate_refresh false: keeps its refresh token (Storyblok)."""
    app = code_app(server, name="Keeping", rotate_refresh=False)
    assert app["rotate_refresh"] is False
    return app


@pytest.fixture(scope="module")
def public_app(server):
    return create_app(server, name=unique("public"), public=True, redirect_uris=[REDIRECT],
                      scopes=["read_content", "write_content"])


@pytest.fixture(scope="module")
def user(server):
    return member(server, role="editor", name="Linus Refresh")


def _refreshed(r, rotated):
    assert r.status_code == 200, describe(r)
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers
    body = r.json()
    assert_token(body["access_token"], "jto_")
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    if rotated:
        assert_token(body["refresh_token"], "jtr_")
    else:
        assert "refresh_token" not in body, body
    return body


def test_refresh_gives_a_new_working_access_token(server, rotating_app, user):
    first = tokens(server, rotating_app, user)
    new = _refreshed(refresh(server, rotating_app, first["refresh_token"]), rotated=True)
    assert new["access_token"] != first["access_token"]
    assert new["refresh_token"] != first["refresh_token"]
    me = server.get("/v1/me", token=new["access_token"])
    assert me.status_code == 200, describe(me)
    assert me.json()["user"]["id"] == user["id"]
    assert set(new["scope"].split()) == set(first["scope"].split())


def test_refresh_with_client_secret_post(server, rotating_app, user):
    first = tokens(server, rotating_app, user)
    _refreshed(refresh(server, rotating_app, first["refresh_token"], auth="post"), rotated=True)


def test_confidential_rotating_app_old_refresh_token_stops_working(server, rotating_app, user):
    first = tokens(server, rotating_app, user)
    second = _refreshed(refresh(server, rotating_app, first["refresh_token"]), rotated=True)
    server.advance(31)  # past the app's grace window, where a retry gets `second` again
    assert_oauth_error(refresh(server, rotating_app, first["refresh_token"]), 400, "invalid_grant")
    # ... and that reuse revoked the grant, the new tokens included
    assert refused_after_cache(server, second["access_token"])
    assert_oauth_error(refresh(server, rotating_app, second["refresh_token"]), 400,
                       "invalid_grant")


def test_public_app_rotates_and_reuse_revokes_the_whole_family(server, public_app, user):
    first = tokens(server, public_app, user)
    assert "refresh_token" in first
    second = _refreshed(refresh(server, public_app, first["refresh_token"]), rotated=True)
    third = _refreshed(refresh(server, public_app, second["refresh_token"]), rotated=True)
    assert server.token_works(third["access_token"])
    # an attacker replays the first refresh token
    assert_oauth_error(refresh(server, public_app, first["refresh_token"]), 400, "invalid_grant")
    for access in (first["access_token"], second["access_token"], third["access_token"]):
        assert refused_after_cache(server, access), \
            "an access token of a revoked family still works"
    assert_oauth_error(refresh(server, public_app, third["refresh_token"]), 400, "invalid_grant")


def test_reuse_revokes_only_that_family(server, public_app, user):
    other = tokens(server, public_app, user)
    first = tokens(server, public_app, user)
    _refreshed(refresh(server, public_app, first["refresh_token"]), rotated=True)
    server.advance(31)  # past the grace window: the reuse revokes first's family
    assert_oauth_error(refresh(server, public_app, first["refresh_token"]), 400, "invalid_grant")
    assert me_status(server, other["access_token"]) == 200
    _refreshed(refresh(server, public_app, other["refresh_token"]), rotated=True)


def test_refresh_token_presented_by_an_unknown_client_is_refused(server, public_app, user):
    first = tokens(server, public_app, user)
    r = refresh(server, {"client_id": "someone-else"}, first["refresh_token"])
    assert r.status_code == 401, describe(r)
    assert r.json()["error"] == "invalid_client", describe(r)
    assert "access_token" not in r.json()


def test_non_rotating_app_keeps_its_refresh_token(server, keeping_app, user):
    first = tokens(server, keeping_app, user)
    assert_token(first["refresh_token"], "jtr_")
    a = _refreshed(refresh(server, keeping_app, first["refresh_token"]), rotated=False)
    b = _refreshed(refresh(server, keeping_app, first["refresh_token"]), rotated=False)
    assert a["access_token"] != b["access_token"]
    assert server.token_works(a["access_token"]) and server.token_works(b["access_token"])
    assert server.token_works(first["access_token"])


def test_narrowing_scope_on_refresh(server, rotating_app, user):
    first = tokens(server, rotating_app, user, scope="read_content write_content")
    new = _refreshed(refresh(server, rotating_app, first["refresh_token"], scope="read_content"),
                     rotated=True)
    assert new["scope"].split() == ["read_content"]
    me = server.get("/v1/me", token=new["access_token"]).json()
    assert me["token"]["scopes"] == ["read_content"]
    assert all(s["permissions"] == ["read_content"] for s in me["spaces"]), me


@pytest.mark.parametrize("scope", ["read_content write_content", "manage_space", "no_such"])
def test_widening_scope_on_refresh_is_invalid_scope(server, rotating_app, user, scope):
    first = tokens(server, rotating_app, user, scope="read_content")
    assert_oauth_error(refresh(server, rotating_app, first["refresh_token"], scope=scope),
                       400, "invalid_scope")


def test_refresh_token_of_another_client_is_invalid_grant(server, rotating_app, keeping_app,
                                                           user):
    first = tokens(server, rotating_app, user)
    assert_oauth_error(refresh(server, keeping_app, first["refresh_token"]), 400, "invalid_grant")
    # the rightful client can still use it
    _refreshed(refresh(server, rotating_app, first["refresh_token"]), rotated=True)


def test_access_token_or_garbage_as_refresh_token_is_invalid_grant(server, rotating_app, user):
    first = tokens(server, rotating_app, user)
    for value in (first["access_token"], make_token("jtr_"), "garbage"):
        assert_oauth_error(refresh(server, rotating_app, value), 400, "invalid_grant")


def test_missing_refresh_token_is_invalid_request(server, rotating_app):
    r = refresh(server, rotating_app, None)
    assert_oauth_error(r, 400, "invalid_request")


def test_refresh_after_the_user_is_disabled_is_invalid_grant(server, rotating_app):
    victim = member(server, role="viewer")
    first = tokens(server, rotating_app, victim, scope="read_content")
    cli_ok(server.cli("user", "disable", victim["email"]))
    assert refused_after_cache(server, first["access_token"])
    assert_oauth_error(refresh(server, rotating_app, first["refresh_token"]), 400, "invalid_grant")


def test_refresh_is_refused_to_an_app_without_the_refresh_grant(server, rotating_app, user):
    first = tokens(server, rotating_app, user)
    r = server.patch(f"/v1/apps/{rotating_app['id']}", server.admin_token,
                     json={"grants": ["authorization_code"]})
    assert r.status_code == 200, describe(r)
    try:
        r = refresh(server, rotating_app, first["refresh_token"])
        assert r.status_code == 400, describe(r)
        assert r.json()["error"] == "unauthorized_client", describe(r)
    finally:
        r = server.patch(f"/v1/apps/{rotating_app['id']}", server.admin_token,
                         json={"grants": ["authorization_code", "refresh_token"]})
        assert r.status_code == 200, describe(r)

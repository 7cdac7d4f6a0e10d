# SPDX-License-Identifier: MIT
"""POST /oauth/introspect (RFC 7662) and POST /oauth/revoke (RFC 7009) for every kind of
jeton token: personal, OAuth access, client, refresh."""
import datetime as dt
import time

import pytest

from conftest import describe, make_token, rfc3339, unique, utcnow
from oauth_helpers import (REDIRECT, assert_oauth_error, authorize_code, client_token, code_app,
                           create_app, introspect, me_status, member, metadata, oauth_form,
                           refresh, refused_after_cache, revoke, tokens)

INACTIVE = {"active": False}


@pytest.fixture(scope="module")
def app(server):
    """A resource server: registered to introspect any token (introspect: true)."""
    return code_app(server, name="Resource Server", introspect=True)


@pytest.fixture(scope="module")
def other_app(server):
    return code_app(server, name="Other Client")


@pytest.fixture(scope="module")
def cc_app(server):
    return create_app(server, name="Machine", scopes=["read_content", "write_content"])


@pytest.fixture(scope="module")
def public_app(server):
    return create_app(server, name=unique("public"), public=True, redirect_uris=[REDIRECT])


@pytest.fixture(scope="module")
def user(server):
    return member(server, role="editor", name="Ida Introspect")


@pytest.fixture(scope="module")
def issuer(server):
    return metadata(server)["issuer"]


def _active(r):
    assert r.status_code == 200, describe(r)
    assert "application/json" in r.headers.get("Content-Type", "")
    body = r.json()
    assert body.get("active") is True, body
    assert isinstance(body.get("token_type"), str) and body["token_type"], body
    now = time.time()
    assert abs(body["iat"] - now) < 120, body
    return body


def _inactive(r):
    assert r.status_code == 200, describe(r)
    assert r.json() == INACTIVE, describe(r)


# --------------------------------------------------------------------------- introspection

def test_introspect_oauth_access_token(server, app, user, issuer):
    t = tokens(server, app, user, scope="read_content write_content")
    body = _active(introspect(server, app, t["access_token"]))
    assert set(body["scope"].split()) == {"read_content", "write_content"}
    assert body["client_id"] == app["client_id"]
    assert str(body["sub"]) == str(user["id"])
    assert body.get("username") == user["email"]
    assert abs(body["exp"] - body["iat"] - 900) <= 2, body
    assert body["iss"] == issuer
    assert int(body["space_id"]) == user["space"]["id"]


def test_introspect_refresh_token(server, app, user, issuer):
    t = tokens(server, app, user, scope="read_content")
    body = _active(introspect(server, app, t["refresh_token"]))
    assert body["scope"].split() == ["read_content"]
    assert body["client_id"] == app["client_id"]
    assert str(body["sub"]) == str(user["id"])
    assert abs(body["exp"] - body["iat"] - app["refresh_ttl"]) <= 2, body
    assert body["iss"] == issuer
    assert int(body["space_id"]) == user["space"]["id"]


def test_introspect_client_token(server, app, cc_app, issuer):
    token = client_token(server, cc_app, scope="read_content").json()["access_token"]
    body = _active(introspect(server, app, token))
    assert body["scope"].split() == ["read_content"]
    assert body["client_id"] == cc_app["client_id"]
    assert body["sub"] == cc_app["client_id"]
    assert abs(body["exp"] - body["iat"] - 900) <= 2, body
    assert body["iss"] == issuer
    assert "space_id" not in body or body["space_id"] in (None, 0), body


def test_introspect_personal_token_that_never_expires(server, app, user, issuer):
    pat = server.create_token(user["email"], name=unique("pat"),
                              scopes=["read_content", "manage_tokens"])
    body = _active(introspect(server, app, pat))
    assert set(body["scope"].split()) == {"read_content", "manage_tokens"}
    assert str(body["sub"]) == str(user["id"])
    assert "exp" not in body, body
    assert body["iss"] == issuer


def test_introspect_personal_token_with_an_expiry(server, app, user):
    when = (utcnow() + dt.timedelta(days=3)).replace(microsecond=0)
    pat = server.create_token(user["email"], name=unique("pat"), scopes=["read_content"],
                              expires=rfc3339(when))
    body = _active(introspect(server, app, pat))
    assert body["exp"] == int(when.timestamp()), body


def test_introspect_with_client_secret_post(server, app, user):
    t = tokens(server, app, user)
    _active(introspect(server, app, t["access_token"], auth="post"))


# --------------------------------------------------------------------------- who may introspect

def test_an_app_introspects_its_own_tokens_without_the_flag(server, other_app, user):
    assert other_app["introspect"] is False
    t = tokens(server, other_app, user, scope="read_content")
    body = _active(introspect(server, other_app, t["access_token"]))
    assert body["client_id"] == other_app["client_id"], body
    body = _active(introspect(server, other_app, t["refresh_token"]))
    assert body["client_id"] == other_app["client_id"], body


def test_an_app_introspects_its_own_client_token_without_the_flag(server):
    machine = create_app(server, name=unique("machine"), scopes=["read_content"])
    token = client_token(server, machine).json()["access_token"]
    _active(introspect(server, machine, token))


def test_an_app_cannot_introspect_another_apps_tokens(server, app, other_app, cc_app, user):
    """RFC 7662 §2.2: to a client that may not introspect a token, it is inactive."""
    mine = tokens(server, app, user)
    client = client_token(server, cc_app).json()["access_token"]
    for token in (mine["access_token"], mine["refresh_token"], client):
        _inactive(introspect(server, other_app, token))
        _active(introspect(server, app, token))    # the tokens are alive


def test_an_app_cannot_introspect_a_personal_token(server, other_app, app, user):
    pat = server.create_token(user["email"], name=unique("pat"), scopes=["read_content"])
    _inactive(introspect(server, other_app, pat))
    _active(introspect(server, app, pat))


def test_the_introspect_flag_can_be_given_and_taken_away(server, user):
    rs = code_app(server, name=unique("rs"))
    pat = server.create_token(user["email"], name=unique("pat"), scopes=["read_content"])
    _inactive(introspect(server, rs, pat))
    r = server.patch(f"/v1/apps/{rs['id']}", server.admin_token, json={"introspect": True})
    assert r.status_code == 200 and r.json()["introspect"] is True, describe(r)
    _active(introspect(server, rs, pat))
    r = server.patch(f"/v1/apps/{rs['id']}", server.admin_token, json={"introspect": False})
    assert r.status_code == 200, describe(r)
    _inactive(introspect(server, rs, pat))


def test_a_public_app_cannot_be_registered_to_introspect(server):
    r = server.post("/v1/apps", server.admin_token,
                    json={"name": unique("pub"), "public": True, "redirect_uris": [REDIRECT],
                          "introspect": True})
    assert r.status_code == 400, describe(r)
    assert "introspect" in r.json()["error_description"], describe(r)


def test_public_client_cannot_introspect(server, public_app, app, user):
    t = tokens(server, app, user)
    r = introspect(server, public_app, t["access_token"])
    assert_oauth_error(r, 401, "invalid_client")


def test_introspection_needs_client_authentication(server, app, user):
    t = tokens(server, app, user)
    r = introspect(server, None, t["access_token"])
    assert_oauth_error(r, 401, "invalid_client")
    r = introspect(server, dict(app, client_secret=make_token("jts_")), t["access_token"])
    assert_oauth_error(r, 401, "invalid_client")


@pytest.mark.parametrize("token", ["garbage", "", "jto_short", make_token("jto_"),
                                   make_token("jtr_"), make_token("jtp_"), make_token("jtc_"),
                                   make_token("jts_"), make_token("jtk_")],
                         ids=["garbage", "empty", "jto_short", "unknown_jto", "unknown_jtr",
                              "unknown_jtp", "unknown_jtc", "unknown_jts", "unknown_jtk"])
def test_garbage_and_unknown_tokens_are_inactive(server, app, token):
    _inactive(introspect(server, app, token))


def test_introspect_without_token_is_invalid_request(server, app):
    r = oauth_form(server, "/oauth/introspect", {}, client=app)
    assert_oauth_error(r, 400, "invalid_request")


def test_client_secret_and_code_are_never_active(server, app, user):
    _inactive(introspect(server, app, code_app(server)["client_secret"]))
    flow = authorize_code(server, app, user)
    _inactive(introspect(server, app, flow["code"]))


def test_expired_token_is_inactive(server, app, user):
    # 60 s: the CLI and two requests run before the check that it is active, and the clock
    # is moved past it anyway (3 s left as little as 2 s to a CLI run on a loaded machine)
    when = (server.now() + dt.timedelta(seconds=60)).replace(microsecond=0)
    pat = server.create_token(user["email"], name=unique("short"), scopes=["read_content"],
                              expires=rfc3339(when))
    _active(introspect(server, app, pat))
    server.advance(61)                # a second past the expiry
    _inactive(introspect(server, app, pat))


def test_revoked_personal_token_is_inactive(server, app, user):
    owner = server.create_token(user["email"], name=unique("owner"),
                                scopes=["manage_tokens", "read_content"])
    pat = server.create_pat(owner, scopes=["read_content"])
    _active(introspect(server, app, pat["token"]))
    r = server.put(f"/v1/users/me/access_tokens/{pat['id']}/revoked", owner)
    assert r.status_code == 200, describe(r)
    _inactive(introspect(server, app, pat["token"]))


def test_rotated_out_refresh_token_is_inactive(server, app, user):
    t = tokens(server, app, user)
    r = refresh(server, app, t["refresh_token"])
    assert r.status_code == 200, describe(r)
    _inactive(introspect(server, app, t["refresh_token"]))
    _active(introspect(server, app, r.json()["refresh_token"]))


def test_token_of_a_disabled_user_is_inactive(server, app):
    victim = member(server)
    t = tokens(server, app, victim)
    r = server.patch(f"/v1/users/{victim['id']}", server.admin_token, json={"disabled": True})
    assert r.status_code == 200, describe(r)
    _inactive(introspect(server, app, t["access_token"]))
    _inactive(introspect(server, app, t["refresh_token"]))


# --------------------------------------------------------------------------- revocation

def test_revoke_access_token(server, app, user):
    t = tokens(server, app, user)
    assert me_status(server, t["access_token"]) == 200
    r = revoke(server, app, t["access_token"])
    assert r.status_code == 200, describe(r)
    assert refused_after_cache(server, t["access_token"])
    _inactive(introspect(server, app, t["access_token"]))


def test_revoke_refresh_token_revokes_its_access_tokens(server, app, user):
    t = tokens(server, app, user)
    second = refresh(server, app, t["refresh_token"]).json()
    r = revoke(server, app, second["refresh_token"])
    assert r.status_code == 200, describe(r)
    for access in (t["access_token"], second["access_token"]):
        assert refused_after_cache(server, access), \
            "access token survived revoking its refresh token"
        _inactive(introspect(server, app, access))
    _inactive(introspect(server, app, second["refresh_token"]))
    assert_oauth_error(refresh(server, app, second["refresh_token"]), 400, "invalid_grant")


def test_revoke_personal_token_by_whoever_holds_it(server, app, user):
    pat = server.create_token(user["email"], name=unique("leaked"), scopes=["read_content"])
    r = revoke(server, app, pat)
    assert r.status_code == 200, describe(r)
    assert refused_after_cache(server, pat)
    _inactive(introspect(server, app, pat))


def test_revoke_client_token(server, cc_app):
    token = client_token(server, cc_app).json()["access_token"]
    r = revoke(server, cc_app, token)
    assert r.status_code == 200, describe(r)
    assert refused_after_cache(server, token)


def test_public_client_revokes_its_own_token_with_its_client_id(server, public_app, user):
    t = tokens(server, public_app, user)
    r = revoke(server, public_app, t["refresh_token"])
    assert r.status_code == 200, describe(r)
    assert refused_after_cache(server, t["access_token"])


def test_revoke_with_a_misleading_hint_still_revokes(server, app, user):
    t = tokens(server, app, user)
    r = revoke(server, app, t["access_token"], token_type_hint="refresh_token")
    assert r.status_code == 200, describe(r)
    assert refused_after_cache(server, t["access_token"])


@pytest.mark.parametrize("token", [make_token("jto_"), make_token("jtr_"), make_token("jtp_"),
                                   "garbage"],
                         ids=["unknown_jto", "unknown_jtr", "unknown_jtp", "garbage"])
def test_revoke_unknown_token_is_200(server, app, token):
    r = revoke(server, app, token)
    assert r.status_code == 200, describe(r)


def test_revoke_twice_is_200(server, app, user):
    t = tokens(server, app, user)
    assert revoke(server, app, t["access_token"]).status_code == 200
    assert revoke(server, app, t["access_token"]).status_code == 200


def test_revoking_a_token_of_another_client_is_refused(server, app, other_app, user):
    t = tokens(server, app, user)
    for token in (t["access_token"], t["refresh_token"]):
        r = revoke(server, other_app, token)
        assert_oauth_error(r, 400, "unauthorized_client")
    assert me_status(server, t["access_token"]) == 200
    assert refresh(server, app, t["refresh_token"]).status_code == 200


def test_revocation_needs_client_authentication(server, app, user):
    t = tokens(server, app, user)
    r = revoke(server, dict(app, client_secret=make_token("jts_")), t["access_token"])
    assert_oauth_error(r, 401, "invalid_client")
    assert me_status(server, t["access_token"]) == 200

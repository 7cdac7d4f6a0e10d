# SPDX-License-Identifier: MIT
"""Revoking a JWT access token: jeton keeps the hash of every JWT it issues, so after
/oauth/revoke jeton refuses the token at once (/v1/me, /auth/verify, introspection).

An offline resource server cannot know: the signature is as good as before, and PyJWT
still accepts the token. Offline checkers see a revocation only when the token expires,
which is why JWT lifetimes are capped at a day; where a revocation must take effect at
once, the resource server has to introspect."""
import pytest

from conftest import assert_401, describe
from jwt_helpers import issue, issue_jwt, jwt_app, jwt_server, verify_offline
from oauth_helpers import code_app, introspect, member, refresh, revoke, tokens


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = jwt_server(tmp_path_factory.mktemp("jeton-jwt-revocation"))
    yield s
    s.finish()


def refused_at_once(srv, app, token):
    """No polling: the very next request is refused."""
    assert_401(srv.get("/v1/me", token=token))
    v = srv.get("/auth/verify", token=token)
    assert v.status_code == 401, describe(v)
    i = introspect(srv, app, token)
    assert i.status_code == 200 and i.json() == {"active": False}, describe(i)


def test_revoked_client_jwt_is_refused_at_once_but_still_verifies_offline(srv):
    app = jwt_app(srv)
    token = issue_jwt(srv, app)
    other = issue_jwt(srv, app)
    # warm jeton's cache: the revocation must not wait for it to expire
    for _ in range(3):
        assert srv.get("/v1/me", token=token).status_code == 200
    i = introspect(srv, app, token)
    assert i.status_code == 200 and i.json().get("active") is True, describe(i)
    claims_before = verify_offline(srv, token, "EdDSA")

    r = revoke(srv, app, token)
    assert r.status_code == 200, describe(r)
    refused_at_once(srv, app, token)

    # Offline, nothing changed: the signature and the claims are still valid, so PyJWT
    # accepts the revoked token until its exp. This is the documented limit of JWTs.
    assert verify_offline(srv, token, "EdDSA") == claims_before

    # the app's other token is untouched
    assert srv.get("/v1/me", token=other).status_code == 200
    # revoking again is fine (RFC 7009: 200)
    assert revoke(srv, app, token).status_code == 200


def test_revoked_code_flow_jwt_is_refused_at_once(srv):
    user = member(srv, role="editor")
    app = code_app(srv, token_format="jwt")
    body = tokens(srv, app, user)
    token = body["access_token"]
    assert srv.get("/v1/me", token=token).status_code == 200
    assert revoke(srv, app, token).status_code == 200
    refused_at_once(srv, app, token)
    verify_offline(srv, token, "EdDSA")            # offline: still valid until exp


def test_revoking_the_refresh_token_revokes_its_jwts(srv):
    user = member(srv, role="editor")
    app = code_app(srv, token_format="jwt")
    body = tokens(srv, app, user)
    r = refresh(srv, app, body["refresh_token"])
    assert r.status_code == 200, describe(r)
    second = r.json()
    for t in (body["access_token"], second["access_token"]):
        assert srv.get("/v1/me", token=t).status_code == 200
    assert revoke(srv, app, second["refresh_token"]).status_code == 200
    for t in (body["access_token"], second["access_token"]):
        refused_at_once(srv, app, t)


def test_another_client_cannot_revoke_a_jwt(srv):
    app = jwt_app(srv)
    thief = jwt_app(srv)
    token = issue(srv, app)["access_token"]
    r = revoke(srv, thief, token)
    assert r.status_code == 400 and r.json().get("error") == "unauthorized_client", describe(r)
    assert srv.get("/v1/me", token=token).status_code == 200


def test_deleting_the_app_refuses_its_jwts(srv):
    app = jwt_app(srv)
    token = issue_jwt(srv, app)
    assert srv.get("/v1/me", token=token).status_code == 200
    r = srv.delete(f"/v1/apps/{app['id']}", srv.admin_token)
    assert r.status_code == 204, describe(r)
    assert_401(srv.get("/v1/me", token=token))

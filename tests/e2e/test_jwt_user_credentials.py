# SPDX-License-Identifier: MIT
"""serve --allow-user-credentials --user-token-format jwt: Apinizer's form of
client_credentials (a user's email and password) returns an RFC 9068 JWT for the user
(sub = the user id, expires_in 3600). Personal access tokens stay opaque (jtp_), and
without --user-token-format jwt the form keeps returning opaque tokens."""
import time

import pytest

from conftest import TOKEN_RE, Server, describe, free_port, run_jeton
from jwt_helpers import (RFC9068_REQUIRED, assert_jwt_shape, claims_of,
                         header_of, issuer, jwt_server, verify_offline)
from oauth_helpers import PASSWORD, assert_token, introspect, member, token_post


def form(server, user, **extra):
    data = {"grant_type": "client_credentials", "client_id": user["email"],
            "client_secret": PASSWORD}
    data.update(extra)
    return token_post(server, data)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = jwt_server(tmp_path_factory.mktemp("jeton-jwt-usercreds"), "--allow-user-credentials",
                   "--user-token-format", "jwt")
    yield s
    s.finish()


@pytest.fixture(scope="module")
def issued(srv):
    user = member(srv, role="editor")
    r = form(srv, user)
    assert r.status_code == 200, describe(r)
    return user, r.json()


def test_the_form_returns_a_jwt_for_the_user(srv, issued):
    user, body = issued
    token = body["access_token"]
    assert_jwt_shape(token)
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600, body
    assert "refresh_token" not in body, body
    header = header_of(token)
    assert header["typ"] == "at+jwt" and header["alg"] == "EdDSA", header
    claims = verify_offline(srv, token, "EdDSA")
    iss = issuer(srv)
    assert claims["iss"] == iss and claims["aud"] == iss, claims
    assert claims["sub"] == str(user["id"]), (claims, user)
    assert claims["exp"] - claims["iat"] == 3600, claims
    assert abs(claims["iat"] - time.time()) < 30, claims
    assert claims["jti"], claims
    assert set(claims["scope"].split()) == set(body["scope"].split()), (claims, body)
    assert "space_id" not in claims, claims          # a user token has no single space

    me = srv.get("/v1/me", token=token)
    assert me.status_code == 200, describe(me)
    assert me.json()["user"]["email"] == user["email"], me.json()
    assert [s["id"] for s in me.json()["spaces"]] == [user["space"]["id"]], me.json()
    assert srv.get("/auth/verify", token=token).status_code == 200


def test_the_users_jwt_has_every_rfc9068_claim(srv, issued):
    """RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat and jti are REQUIRED; the issue
    lists client_id among the claims of every JWT jeton issues."""
    user, body = issued
    claims = claims_of(body["access_token"])
    missing = sorted(RFC9068_REQUIRED - set(claims))
    assert not missing, f"user-credentials JWT lacks the required claims {missing}: {claims}"
    assert isinstance(claims["client_id"], str) and claims["client_id"], claims


def test_scope_asked_narrows_the_jwt(srv):
    user = member(srv, role="editor")
    r = form(srv, user, scope="read_content")
    assert r.status_code == 200, describe(r)
    token = r.json()["access_token"]
    assert verify_offline(srv, token, "EdDSA")["scope"] == "read_content"
    assert srv.get("/v1/me", token=token).json()["token"]["scopes"] == ["read_content"]


def test_pats_stay_opaque(srv, issued):
    user, body = issued
    # the user's JWT is an OAuth token: it never creates personal access tokens, even
    # holding manage_tokens (docs/api.md)...
    assert "manage_tokens" in body["scope"].split(), body
    r = srv.post("/v1/users/me/access_tokens", body["access_token"],
                 json={"name": "from-a-jwt", "scopes": ["read_content"]})
    assert r.status_code == 403, describe(r)
    # ... those made with the CLI and with a personal token are opaque
    pat = srv.create_token(user["email"])
    assert TOKEN_RE.match(pat), pat
    created = srv.create_pat(srv.admin_token)
    assert TOKEN_RE.match(created["token"]), created


def test_introspection_of_the_users_jwt(srv, issued):
    from oauth_helpers import create_app
    user, body = issued
    rs = create_app(srv, introspect=True)        # a resource server's confidential client
    i = introspect(srv, rs, body["access_token"])
    assert i.status_code == 200, describe(i)
    info = i.json()
    assert info.get("active") is True and info["sub"] == str(user["id"]), info
    assert info["exp"] == claims_of(body["access_token"])["exp"], info


def test_without_the_flag_the_form_returns_opaque_tokens(tmp_path):
    s = Server(tmp_path / "opaque", extra_args=["--allow-user-credentials"]).start()
    try:
        user = member(s, role="viewer")
        r = form(s, user)
        assert r.status_code == 200, describe(r)
        assert_token(r.json()["access_token"], "jto_")
    finally:
        s.finish()


def test_user_token_format_is_validated(tmp_path):
    p = run_jeton("serve", "--db", tmp_path / "j.db", "--listen", f"127.0.0.1:{free_port()}",
                  "--user-token-format", "paseto", timeout=10)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "--user-token-format must be opaque or jwt" in p.stderr
    assert not (tmp_path / "j.db").exists(), "a refused start created the store"

# SPDX-License-Identifier: MIT
"""JWT access tokens (RFC 9068) for each signing algorithm (serve --jwt-alg EdDSA|ES256|RS256):
issued by client_credentials and by the authorization-code flow to apps with
token_format jwt, verified by PyJWT with the server's JWKS (alg pinned, audience and issuer
checked), with the RFC 9068 header and claims, and accepted by jeton itself on /v1/me and
/auth/verify. Also: discovery's jwks_uri, the app setting and its access_ttl cap."""
import time

import jwt
import pytest

from conftest import assert_error, describe, unique
from jwt_helpers import (ALGS, KTY, PRIVATE_JWK_MEMBERS, RFC9068_REQUIRED, assert_jwt_shape,
                         claims_of, cli_jwt_app, header_of, issuer, jwks, jwt_app, jwt_server,
                         pyjwk, verify_offline)
from oauth_helpers import (assert_token, client_token, code_app, create_app, introspect, member,
                           metadata, refresh, tokens)

RFC9068_CLAIMS = RFC9068_REQUIRED | {"scope"}


@pytest.fixture(scope="module", params=ALGS)
def alg_server(request, tmp_path_factory):
    """(alg, a server started with --jwt-alg alg)."""
    alg = request.param
    s = jwt_server(tmp_path_factory.mktemp(f"jeton-jwt-{alg}"), alg=alg)
    yield alg, s
    s.finish()


def check_header(server, token, alg):
    header = header_of(token)
    assert header.get("typ") == "at+jwt", header          # RFC 9068 §2.1
    assert header.get("alg") == alg, header
    assert isinstance(header.get("kid"), str) and header["kid"], header
    published = [k["kid"] for k in jwks(server)["keys"]]
    assert header["kid"] in published, (header, published)
    assert set(header) <= {"alg", "typ", "kid"}, header   # no jwk/jku/x5u to trust
    return header


def check_claims(server, token, alg, response):
    """PyJWT verifies the token and the claims are complete; returns them."""
    iss = issuer(server)
    claims = verify_offline(server, token, alg)
    assert RFC9068_CLAIMS <= set(claims), claims
    assert claims["iss"] == iss and claims["aud"] == iss, claims
    assert isinstance(claims["sub"], str) and claims["sub"], claims
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16, claims
    assert isinstance(claims["exp"], int) and isinstance(claims["iat"], int), claims
    assert abs(claims["iat"] - time.time()) < 30, claims
    assert claims["exp"] - claims["iat"] == response["expires_in"], (claims, response)
    assert claims["scope"] == response["scope"], (claims, response)
    return claims


def test_client_credentials_issue_verifiable_jwts(alg_server):
    alg, s = alg_server
    app = cli_jwt_app(s, "--scopes", "read_content manage_space", "--access-ttl", "600")
    assert app["token_format"] == "jwt", app
    r = client_token(s, app)
    assert r.status_code == 200, describe(r)
    body = r.json()
    token = body["access_token"]
    assert_jwt_shape(token)
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600, body
    assert "refresh_token" not in body, body
    check_header(s, token, alg)
    claims = check_claims(s, token, alg, body)
    assert claims["client_id"] == app["client_id"], claims
    assert claims["sub"] == app["client_id"], claims          # a client token acts as the app
    assert "space_id" not in claims, claims
    assert set(claims["scope"].split()) == {"read_content", "manage_space"}, claims

    # two tokens: different jti
    other = client_token(s, app).json()["access_token"]
    assert claims_of(other)["jti"] != claims["jti"]

    # jeton accepts its JWT wherever an access token is accepted
    me = s.get("/v1/me", token=token)
    assert me.status_code == 200, describe(me)
    assert me.json()["app"]["client_id"] == app["client_id"], me.json()
    assert me.json()["token"]["kind"] == "client", me.json()
    v = s.get("/auth/verify", token=token)
    assert v.status_code == 200, describe(v)
    assert v.headers.get("X-Jeton-Client") == app["client_id"], v.headers

    # and introspection describes it as the claims do
    i = introspect(s, app, token)
    assert i.status_code == 200, describe(i)
    info = i.json()
    assert info.get("active") is True, info
    assert info["exp"] == claims["exp"] and info["sub"] == claims["sub"], (info, claims)
    assert info["client_id"] == claims["client_id"], info


def test_code_flow_issues_verifiable_jwts_with_a_space(alg_server):
    alg, s = alg_server
    user = member(s, role="editor")
    app = code_app(s, token_format="jwt", access_ttl=900)
    assert app["token_format"] == "jwt", app
    body = tokens(s, app, user)
    token = body["access_token"]
    assert_jwt_shape(token)
    assert body["expires_in"] == 900, body
    check_header(s, token, alg)
    claims = check_claims(s, token, alg, body)
    assert claims["sub"] == str(user["id"]), (claims, user)
    assert claims["client_id"] == app["client_id"], claims
    assert claims["space_id"] == user["space"]["id"] == body["space_id"], (claims, body)
    assert set(claims["scope"].split()) == {"read_content", "write_content"}, claims

    # refresh tokens stay opaque
    assert_token(body["refresh_token"], "jtr_")

    me = s.get("/v1/me", token=token)
    assert me.status_code == 200, describe(me)
    assert me.json()["user"]["email"] == user["email"], me.json()
    assert [sp["id"] for sp in me.json()["spaces"]] == [user["space"]["id"]], me.json()
    v = s.get("/auth/verify", token=token)
    assert v.status_code == 200, describe(v)
    ui = s.get("/oauth/user_info", token=token)
    assert ui.status_code == 200 and ui.json()["space"]["id"] == user["space"]["id"], describe(ui)

    # a refresh gives another JWT for the same user and space
    r = refresh(s, app, body["refresh_token"])
    assert r.status_code == 200, describe(r)
    again = r.json()
    check_header(s, again["access_token"], alg)
    c2 = check_claims(s, again["access_token"], alg, again)
    assert (c2["sub"], c2["space_id"], c2["client_id"]) == \
        (claims["sub"], claims["space_id"], claims["client_id"]), c2
    assert c2["jti"] != claims["jti"]
    assert s.get("/v1/me", token=again["access_token"]).status_code == 200


def test_discovery_lists_jwks_uri_and_it_serves_public_keys_only(alg_server):
    alg, s = alg_server
    meta = metadata(s)
    assert meta.get("jwks_uri") == meta["issuer"] + "/.well-known/jwks.json", meta
    path = meta["jwks_uri"][len(meta["issuer"]):]
    r = s.get(path)
    assert r.status_code == 200, describe(r)
    keys = r.json()["keys"]
    assert keys, r.json()
    for k in keys:
        assert not (set(k) & PRIVATE_JWK_MEMBERS), f"private key material published: {k}"
        assert k.get("kid") and k.get("use") == "sig", k
        jwt.PyJWK(k)                               # PyJWT can load it
    signing = [k for k in keys if k.get("alg") == alg]
    assert signing and all(k["kty"] == KTY[alg] for k in signing), keys
    if alg == "EdDSA":
        assert signing[0]["crv"] == "Ed25519", signing
    elif alg == "ES256":
        assert signing[0]["crv"] == "P-256", signing
    else:
        assert len(jwt.utils.base64url_decode(signing[0]["n"])) >= 256, signing  # >= 2048 bits


def test_pyjwkclient_from_jwks_uri_verifies_both_grants(alg_server):
    """A stock resource-server setup: PyJWKClient on the discovery document's jwks_uri."""
    alg, s = alg_server
    meta = metadata(s)
    client = jwt.PyJWKClient(meta["jwks_uri"], cache_keys=False)
    app = jwt_app(s)
    user = member(s, role="viewer")
    capp = code_app(s, token_format="jwt", scopes=["read_content"])
    for token in (client_token(s, app).json()["access_token"],
                  tokens(s, capp, user)["access_token"]):
        key = client.get_signing_key_from_jwt(token)
        assert key.key_id == header_of(token)["kid"]
        claims = jwt.decode(token, key.key, algorithms=[alg], audience=meta["issuer"],
                            issuer=meta["issuer"])
        assert claims["client_id"] in (app["client_id"], capp["client_id"]), claims


def test_pyjwt_refuses_the_wrong_audience_or_issuer(alg_server):
    """A sanity check of the offline verifier used by every test: it does check aud/iss."""
    alg, s = alg_server
    app = jwt_app(s)
    token = client_token(s, app).json()["access_token"]
    key = pyjwk(s, header_of(token)["kid"]).key
    iss = issuer(s)
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token, key, algorithms=[alg], audience="https://elsewhere.example",
                   issuer=iss)
    with pytest.raises(jwt.InvalidIssuerError):
        jwt.decode(token, key, algorithms=[alg], audience=iss, issuer="https://elsewhere.example")


# ------------------------------------------------------------------ the app setting
# (once, on conftest's default server: EdDSA)

@pytest.fixture(scope="module")
def eddsa(server):
    return server


def test_apps_default_to_opaque_tokens(eddsa):
    app = create_app(eddsa)
    assert app["token_format"] == "opaque", app
    body = client_token(eddsa, app).json()
    assert_token(body["access_token"], "jtc_")


def test_jwt_app_access_ttl_is_capped_at_a_day(eddsa):
    ok = jwt_app(eddsa, access_ttl=86400)
    assert ok["access_ttl"] == 86400 and ok["token_format"] == "jwt", ok
    r = eddsa.post("/v1/apps", eddsa.admin_token,
                   json={"name": unique("app"), "token_format": "jwt", "access_ttl": 86401})
    assert_error(r, 400, None)
    # an opaque app may live longer, but cannot then switch to JWTs
    long = create_app(eddsa, access_ttl=7 * 86400)
    r = eddsa.patch(f"/v1/apps/{long['id']}", eddsa.admin_token, json={"token_format": "jwt"})
    assert_error(r, 400, None)
    # nor can a JWT app stretch its lifetime past a day
    r = eddsa.patch(f"/v1/apps/{ok['id']}", eddsa.admin_token, json={"access_ttl": 86401})
    assert_error(r, 400, None)
    # the CLI refuses it too
    p = eddsa.cli("app", "create", "--name", unique("app"), "--token-format", "jwt",
                  "--access-ttl", "86401")
    assert p.returncode != 0, p.stdout


def test_unknown_token_format_is_refused(eddsa):
    r = eddsa.post("/v1/apps", eddsa.admin_token,
                   json={"name": unique("app"), "token_format": "paseto"})
    assert_error(r, 400, None)
    p = eddsa.cli("app", "create", "--name", unique("app"), "--token-format", "paseto")
    assert p.returncode != 0, p.stdout


def test_switching_an_app_to_jwt_changes_its_next_tokens(eddsa):
    app = create_app(eddsa)
    first = client_token(eddsa, app).json()["access_token"]
    assert_token(first, "jtc_")
    r = eddsa.patch(f"/v1/apps/{app['id']}", eddsa.admin_token, json={"token_format": "jwt"})
    assert r.status_code == 200 and r.json()["token_format"] == "jwt", describe(r)
    second = client_token(eddsa, app).json()["access_token"]
    assert_jwt_shape(second)
    verify_offline(eddsa, second, "EdDSA")
    # the opaque token issued before still works
    assert eddsa.get("/v1/me", token=first).status_code == 200


def test_rs256_with_a_long_issuer(tmp_path):
    """Nothing bounds --issuer below 256 bytes; iss and aud both carry it. An RS256 JWT with
    a 150-byte issuer and an app holding every scope a client token can have must still be
    issued and verify."""
    iss = "https://auth.example.com/" + "tenants/" + "0123456789abcdef" * 6 + "/oauth2"
    iss = iss + "x" * (150 - len(iss))
    assert len(iss) == 150
    s = jwt_server(tmp_path / "long-issuer", "--issuer", iss, alg="RS256")
    try:
        app = jwt_app(s, scopes=["read_content", "write_content", "manage_space", "manage_users",
                                 "manage_apps"])
        r = client_token(s, app)
        assert r.status_code == 200, describe(r)
        token = r.json()["access_token"]
        assert_jwt_shape(token)
        claims = verify_offline(s, token, "RS256", iss=iss)
        assert claims["iss"] == claims["aud"] == iss, claims
        assert s.get("/v1/me", token=token).status_code == 200
    finally:
        s.finish()

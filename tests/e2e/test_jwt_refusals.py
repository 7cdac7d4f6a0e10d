# SPDX-License-Identifier: MIT
"""JWTs that jeton must refuse (401 invalid_token) and that PyJWT refuses as well where an
offline verifier can tell: alg "none", an unknown kid, a tampered payload, a signature by a
key jeton never had, an algorithm switch, an expired token, and a token signed by a retired
key once its overlap is over.

jeton keeps the hash of every JWT it issues, so a forged JWT is unknown to its store and
would be refused even if jeton never looked at the signature. To test the header and
signature checks themselves, each forged token is first "planted": the genuine token's
record is copied in the store under the forged token's hash (jwt_helpers.plant). Only the
JWS checks then stand between the forgery and a 200."""
import hashlib
import hmac
import json

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from conftest import assert_401, describe
from jwt_helpers import (assemble, b64u, claims_of, db_exec, header_of, issue, issue_jwt,
                         jwt_app, jwt_server, kids, kids_after_reload, next_second, parts,
                         plant, pyjwk, rotate, signing_key, signing_kid_after_reload,
                         token_hash, unb64u, verify_offline, verify_with_any_published_key)

# These reach into the SQLite store file to plant records and move time.
pytestmark = pytest.mark.sqlite_only
from oauth_helpers import introspect


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """The default server: EdDSA keys."""
    s = jwt_server(tmp_path_factory.mktemp("jeton-jwt-refusals"))
    yield s
    s.finish()


@pytest.fixture(scope="module")
def app(srv):
    return jwt_app(srv, scopes=["read_content", "write_content", "manage_space"])


@pytest.fixture()
def genuine(srv, app):
    """A fresh JWT (scope read_content) that jeton accepts and PyJWT verifies."""
    token = issue_jwt(srv, app, scope="read_content")
    assert srv.get("/v1/me", token=token).status_code == 200
    verify_offline(srv, token, "EdDSA")
    return token


def refused_by_jeton(srv, app, token):
    """401 invalid_token on /v1/me and /auth/verify, and inactive at introspection."""
    assert_401(srv.get("/v1/me", token=token))
    r = srv.get("/auth/verify", token=token)
    assert r.status_code == 401, describe(r)
    i = introspect(srv, app, token)
    assert i.status_code == 200 and i.json() == {"active": False}, describe(i)


def refused_by_pyjwt(srv, token):
    with pytest.raises((jwt.PyJWTError, KeyError)):
        verify_offline(srv, token, "EdDSA")
    assert not verify_with_any_published_key(srv, token, "EdDSA")


def test_alg_none_is_refused(srv, app, genuine):
    h, c, _ = genuine.split(".")
    header = dict(header_of(genuine), alg="none")
    for forged in (assemble(header, c, ""),                               # empty signature
                   assemble(header, c, b"\0" * 64),                       # any signature
                   assemble(dict(header, alg="None"), c, "")):
        plant(srv, forged, genuine)
        refused_by_jeton(srv, app, forged)
        refused_by_pyjwt(srv, forged)
    assert srv.get("/v1/me", token=genuine).status_code == 200


def test_unknown_kid_is_refused(srv, app, genuine):
    h, c, s = genuine.split(".")
    for kid in ("nonexistent-kid0", "", None):
        header = dict(header_of(genuine))
        if kid is None:
            del header["kid"]
        else:
            header["kid"] = kid
        forged = assemble(header, c, s)
        plant(srv, forged, genuine)
        refused_by_jeton(srv, app, forged)
        refused_by_pyjwt(srv, forged)


def test_tampered_payload_is_refused(srv, app, genuine):
    h, c, s = genuine.split(".")
    claims = claims_of(genuine)
    for change in ({"scope": "read_content write_content manage_space"},
                   {"exp": claims["exp"] + 86400},
                   {"sub": "someone-else"}):
        forged = assemble(h, dict(claims, **change), s)     # the original signature kept
        plant(srv, forged, genuine)
        refused_by_jeton(srv, app, forged)
        refused_by_pyjwt(srv, forged)
    # a flipped bit in the signature
    sig = bytearray(parts(genuine)[2])
    sig[10] ^= 1
    forged = assemble(h, c, bytes(sig))
    plant(srv, forged, genuine)
    refused_by_jeton(srv, app, forged)
    refused_by_pyjwt(srv, forged)


def test_signature_by_a_key_jeton_never_had_is_refused(srv, app, genuine):
    header = header_of(genuine)
    stranger = ed25519.Ed25519PrivateKey.generate()
    forged = jwt.encode(claims_of(genuine), stranger, algorithm="EdDSA",
                        headers={"typ": "at+jwt", "kid": header["kid"]})
    assert header_of(forged)["kid"] == header["kid"] and header_of(forged)["alg"] == "EdDSA"
    # PyJWT itself accepts it with the stranger's key: the token is well made
    jwt.decode(forged, stranger.public_key(), algorithms=["EdDSA"],
               audience=claims_of(genuine)["aud"])
    plant(srv, forged, genuine)
    refused_by_jeton(srv, app, forged)
    refused_by_pyjwt(srv, forged)


def test_algorithm_switch_is_refused(srv, app, genuine):
    header = header_of(genuine)
    claims = claims_of(genuine)
    h_rs = dict(header, alg="RS256")
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged_rs = jwt.encode(claims, rsa_key, algorithm="RS256", headers=h_rs)
    assert header_of(forged_rs)["alg"] == "RS256" and header_of(forged_rs)["kid"] == header["kid"]
    ec_key = ec.generate_private_key(ec.SECP256R1())
    forged_es = jwt.encode(claims, ec_key, algorithm="ES256", headers=dict(header, alg="ES256"))
    # the classic confusion: HS256 keyed with the published public key
    public = pyjwk(srv, header["kid"]).key.public_bytes(serialization.Encoding.Raw,
                                                       serialization.PublicFormat.Raw)
    jwk_x = json.dumps([k for k in srv.get("/.well-known/jwks.json").json()["keys"]
                        if k["kid"] == header["kid"]][0])
    forged_hs = []
    for secret in (public, jwk_x.encode(), b64u(public).encode()):
        signing_input = assemble(dict(header, alg="HS256"), claims).rsplit(".", 1)[0]
        mac = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
        forged_hs.append(f"{signing_input}.{b64u(mac)}")
    # and the genuine EdDSA signature under another alg label
    h, c, s = genuine.split(".")
    relabelled = assemble(dict(header, alg="ES256"), c, s)
    for forged in (forged_rs, forged_es, *forged_hs, relabelled):
        plant(srv, forged, genuine)
        refused_by_jeton(srv, app, forged)
        refused_by_pyjwt(srv, forged)


def test_control_jetons_own_key_and_a_planted_record_are_accepted(srv, app, genuine):
    """The control for the tests above: a token made here, but signed with jeton's own key
    (opened from the store with the key file) and planted, is accepted. So the refusals
    above come from jeton's header and signature checks, not from planting."""
    header = header_of(genuine)
    key = signing_key(srv, header["kid"])
    made = jwt.encode(dict(claims_of(genuine), jti="planted-control-0001"), key,
                      algorithm="EdDSA", headers={"typ": "at+jwt", "kid": header["kid"]})
    assert made != genuine
    verify_offline(srv, made, "EdDSA")
    plant(srv, made, genuine)
    r = srv.get("/v1/me", token=made)
    assert r.status_code == 200, describe(r)


def test_typ_other_than_at_jwt_is_refused(srv, app, genuine):
    """RFC 9068 §4: the resource server must check typ is at+jwt, so that another JWT of
    the same issuer and key cannot pass for an access token. Signed with jeton's own key
    (from the store) and planted: only the typ check can refuse it."""
    header = header_of(genuine)
    key = signing_key(srv, header["kid"])
    for typ in ("JWT", "application/jwt", None):
        h = {"kid": header["kid"]}
        if typ is not None:
            h["typ"] = typ
        made = jwt.encode(dict(claims_of(genuine), jti=f"typ-{typ}"), key, algorithm="EdDSA",
                          headers=h)
        if typ is None:
            # PyJWT adds typ JWT by default; drop it
            hh, c, sig = made.split(".")
            hdr = json.loads(unb64u(hh))
            hdr.pop("typ", None)
            made = assemble(hdr, c, "")
            signing_input = made[:-1].rstrip(".")
            made = f"{signing_input}.{b64u(key.sign(signing_input.encode('ascii')))}"
        assert header_of(made).get("typ") == typ, header_of(made)
        verify_offline(srv, made, "EdDSA")          # well signed: PyJWT does not check typ
        plant(srv, made, genuine)
        refused_by_jeton(srv, app, made)


def test_expired_token_is_refused(srv, app):
    """The token's expires_at is set in the past in the store, not in its claims (the
    record is found by the SHA-256 of the whole JWT). jeton checks its record, and sees
    the change once its one-second cache has passed."""
    token = issue_jwt(srv, app)
    assert srv.get("/v1/me", token=token).status_code == 200
    n = db_exec(srv, "UPDATE oauth_tokens SET expires_at = ?1 WHERE token_hash = ?2",
                (int(srv.now().timestamp()) - 5, token_hash(token)))
    assert n == 1, "the JWT's record was not found by the SHA-256 of the JWT"
    assert_401(srv.refused_after_cache(token))
    refused_by_jeton(srv, app, token)
    # an offline verifier goes by the exp claim, which this test did not change (it cannot
    # be changed without breaking the signature): PyJWT still accepts the token.
    verify_offline(srv, token, "EdDSA")


def test_token_of_a_retired_key_is_refused_once_unpublished(tmp_path):
    """Its own server: the key is rotated, then the overlap is ended by moving the old key's
    unpublish_at into the past in the store."""
    s = jwt_server(tmp_path / "retired")
    try:
        app = jwt_app(s)
        old = issue_jwt(s, app)
        old_kid = header_of(old)["kid"]
        next_second(s)                         # keys are dated to the second
        new_kid = rotate(s)
        assert new_kid != old_kid
        got = signing_kid_after_reload(s, app)
        assert got == new_kid, f"new tokens still signed by {got}, not {new_kid}"
        # during the overlap both keys are published and the old token works
        assert {old_kid, new_kid} <= set(kids(s)), kids(s)
        s.advance(2)                          # the old token's cache entry is reloaded
        assert s.get("/v1/me", token=old).status_code == 200
        verify_offline(s, old, "EdDSA")

        n = db_exec(s, "UPDATE signing_keys SET unpublish_at = ?1 WHERE kid = ?2",
                    (int(s.now().timestamp()) - 1, old_kid))
        assert n == 1
        published = kids_after_reload(s)
        assert old_kid not in published, f"unpublished key still in the JWKS: {published}"
        assert new_kid in published, published
        assert_401(s.refused_after_cache(old))
        refused_by_jeton(s, app, old)
        with pytest.raises(KeyError):
            verify_offline(s, old, "EdDSA")
        # the new key's tokens are unaffected
        fresh = issue(s, app)["access_token"]
        assert s.get("/v1/me", token=fresh).status_code == 200
        verify_offline(s, fresh, "EdDSA")
    finally:
        s.finish()

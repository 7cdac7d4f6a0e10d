# SPDX-License-Identifier: MIT
"""Helpers for the JWT end-to-end tests (RFC 9068 access tokens).

Every signature check on the test side is PyJWT's (python3-jwt, with python3-cryptography):
a JOSE library nobody here wrote. The public keys come from the server's own
/.well-known/jwks.json, loaded with jwt.PyJWK.

Some tests reach into the SQLite store with Python's sqlite3 to plant a past date (a token's
expires_at, a retired key's unpublish_at); each such change is a short transaction with a
busy timeout, and the server sees it once its clock has moved past its one-second cache.
"""
import base64
import ctypes
import ctypes.util
import hashlib
import json
import re
import sqlite3

import jwt

from conftest import Server, cli_ok, describe, unique
from oauth_helpers import client_token, create_app, metadata

ALGS = ("EdDSA", "ES256", "RS256")
JWT_RE = re.compile(r"^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")
PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}
KTY = {"EdDSA": "OKP", "ES256": "EC", "RS256": "RSA"}
RFC9068_REQUIRED = {"iss", "exp", "aud", "sub", "client_id", "iat", "jti"}   # RFC 9068 §2.2


# --------------------------------------------------------------------------- servers

def jwt_server(workdir, *extra_args, alg=None, env=None):
    """A started Server; alg: passed as --jwt-alg (None: the default, EdDSA)."""
    args = list(extra_args)
    if alg is not None:
        args += ["--jwt-alg", alg]
    return Server(workdir, extra_args=args, env=env).start()


def issuer(server):
    return metadata(server)["issuer"]


def jwt_app(server, **body):
    """POST /v1/apps with token_format jwt (client_credentials unless told otherwise)."""
    body.setdefault("token_format", "jwt")
    body.setdefault("name", unique("jwt-app"))
    return create_app(server, **body)


def cli_jwt_app(server, *args):
    """`jeton app create --name N --token-format jwt --json ARGS`: the app object."""
    p = cli_ok(server.cli("app", "create", "--name", unique("jwt-cli-app"),
                          "--token-format", "jwt", "--json", *args))
    return json.loads(p.stdout)


def issue(server, app, **extra):
    """client_credentials for app; asserts 200 and returns the token response."""
    r = client_token(server, app, **extra)
    assert r.status_code == 200, describe(r)
    return r.json()


def issue_jwt(server, app, **extra):
    body = issue(server, app, **extra)
    assert_jwt_shape(body["access_token"])
    return body["access_token"]


# --------------------------------------------------------------------------- JWS pieces

def b64u(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parts(token):
    """(header dict, claims dict, signature bytes) without checking anything."""
    h, c, s = token.split(".")
    return json.loads(unb64u(h)), json.loads(unb64u(c)), unb64u(s)


def header_of(token):
    return parts(token)[0]


def claims_of(token):
    return parts(token)[1]


def assemble(header, claims, signature=b""):
    """A compact JWS from a header, claims (dicts, or already-encoded strings) and raw
    signature bytes (or an already-encoded string)."""
    h = header if isinstance(header, str) else b64u(json.dumps(header, separators=(",", ":")))
    c = claims if isinstance(claims, str) else b64u(json.dumps(claims, separators=(",", ":")))
    s = signature if isinstance(signature, str) else b64u(signature)
    return f"{h}.{c}.{s}"


def assert_jwt_shape(token):
    assert isinstance(token, str) and JWT_RE.match(token), f"not a compact JWS: {token!r}"
    assert not token.startswith("jt"), token


def token_hash(token):
    """What jeton stores for a token: SHA-256 of the whole string."""
    return hashlib.sha256(token.encode("ascii")).digest()


# --------------------------------------------------------------------------- JWKS and PyJWT

def jwks(server):
    r = server.get("/.well-known/jwks.json")
    assert r.status_code == 200, describe(r)
    assert "application/json" in r.headers.get("Content-Type", ""), r.headers
    body = r.json()
    assert isinstance(body.get("keys"), list), body
    return body


def kids(server):
    return [k.get("kid") for k in jwks(server)["keys"]]


def pyjwk(server, kid):
    """The PyJWK of kid from the JWKS, or None if it is not published."""
    for k in jwks(server)["keys"]:
        if k.get("kid") == kid:
            return jwt.PyJWK(k)
    return None


def verify_offline(server, token, alg, iss=None, **kw):
    """What an offline resource server does: the key named by kid in the JWKS, alg pinned,
    audience and issuer checked, exp checked. Returns the claims; raises PyJWT's errors
    (jwt.PyJWKError / KeyError when the kid is not published)."""
    iss = iss or issuer(server)
    kid = jwt.get_unverified_header(token).get("kid")
    key = pyjwk(server, kid)
    if key is None:
        raise KeyError(f"kid {kid!r} is not in the JWKS")
    if server.clock_offset:      # the server's clock runs ahead (Server.advance)
        kw.setdefault("leeway", server.clock_offset + 2)
    return jwt.decode(token, key.key, algorithms=[alg], audience=iss, issuer=iss,
                      options={"require": ["exp", "iat", "iss", "aud", "sub"]}, **kw)


def verify_with_any_published_key(server, token, alg):
    """True if PyJWT accepts the token with one of the published keys (whatever kid says)."""
    iss = issuer(server)
    for k in jwks(server)["keys"]:
        try:
            jwt.decode(token, jwt.PyJWK(k).key, algorithms=[alg], audience=iss, issuer=iss)
            return True
        except jwt.PyJWTError:
            pass
    return False


def kids_after_reload(server):
    """The JWKS's kids once the clock has moved past the key ring's reload (1 s)."""
    server.after_cache()
    return kids(server)


def signing_kid_after_reload(server, app):
    """The kid of a token issued once the clock has moved past the key ring's reload (1 s)."""
    server.after_cache()
    return header_of(issue_jwt(server, app))["kid"]


# --------------------------------------------------------------------------- the store

def db(server):
    """A connection to the server's SQLite store (close it after use)."""
    conn = sqlite3.connect(str(server.db), timeout=10.0, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 10000")
    return conn


def db_exec(server, sql, params=()):
    """One statement in its own short transaction; returns the number of rows changed."""
    conn = db(server)
    try:
        cur = conn.execute(sql, params)
        return cur.rowcount
    finally:
        conn.close()


def db_rows(server, sql, params=()):
    conn = db(server)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def plant(server, forged, genuine):
    """Copy the stored record of `genuine` under the hash of `forged`: jeton's store then
    knows the forged token, so only the signature/header checks can refuse it. Without
    this, a forged JWT would be refused merely for being unknown and a test could not tell
    whether jeton checks signatures at all."""
    n = db_exec(server,
                "INSERT INTO oauth_tokens(token_hash, kind, app_id, user_id, space_id, family_id, "
                "scopes, created_at, expires_at, revoked_at, rotated_at) "
                "SELECT ?1, kind, app_id, user_id, space_id, family_id, scopes, created_at, "
                "expires_at, revoked_at, rotated_at FROM oauth_tokens WHERE token_hash = ?2",
                (token_hash(forged), token_hash(genuine)))
    assert n == 1, "the genuine token's record was not found in oauth_tokens"


def keys_list(server):
    """`jeton keys list` parsed: [{kid, alg, created, retired, until}] (None for '-')."""
    p = cli_ok(server.cli("keys", "list"))
    lines = p.stdout.strip().splitlines()
    assert lines and lines[0].split()[:2] == ["KID", "ALG"], p.stdout
    rows = []
    for line in lines[1:]:
        f = line.split()
        assert len(f) == 5, f"unexpected keys list line {line!r}"
        rows.append({"kid": f[0], "alg": f[1], "created": f[2],
                     "retired": None if f[3] == "-" else f[3],
                     "until": None if f[4] == "-" else f[4]})
    return rows


def rotate(server, *args):
    """`jeton keys rotate ARGS` against the server's store: the new kid."""
    p = cli_ok(server.cli("keys", "rotate", *args))
    kid = p.stdout.strip()
    assert re.match(r"^[0-9A-Za-z]{8,32}$", kid), f"keys rotate printed {p.stdout!r}"
    return kid


def next_second(server):
    """Moves the server's clock a second on (keys are dated to the second)."""
    server.advance(1)


# --------------------------------------------------------------------------- sealed keys

_sodium = None


def secretbox_open(sealed, kek):
    """libsodium's crypto_secretbox_open_easy (nonce first, as jeton stores it), through
    ctypes; None when it does not open."""
    global _sodium
    if _sodium is None:
        name = ctypes.util.find_library("sodium") or "libsodium.so.23"
        _sodium = ctypes.CDLL(name)
        assert _sodium.sodium_init() >= 0
    nonce, box = sealed[:24], sealed[24:]
    if len(box) < 16:
        return None
    out = ctypes.create_string_buffer(len(box) - 16)
    rc = _sodium.crypto_secretbox_open_easy(out, box, ctypes.c_ulonglong(len(box)), nonce, kek)
    return out.raw if rc == 0 else None


def signing_key(server, kid, key_file=None):
    """jeton's own private key kid, opened from the store with the key-encryption key file
    (default: the server's ./jeton.key): a cryptography private key object."""
    from cryptography.hazmat.primitives.serialization import load_der_private_key
    kek = (key_file or server.workdir / "jeton.key").read_bytes()
    rows = db_rows(server, "SELECT sealed_key FROM signing_keys WHERE kid = ?1", (kid,))
    assert len(rows) == 1, f"no signing key {kid!r} in the store"
    der = secretbox_open(bytes(rows[0][0]), kek)
    assert der is not None, f"signing key {kid!r} does not open with {key_file}"
    return load_der_private_key(der, password=None)

# SPDX-License-Identifier: MIT
"""Signing keys at rest: the key-encryption key file (JETON_KEY_FILE / --key-file, default
./jeton.key) is created mode 0600 with 32 random bytes by `serve` and `init`; the private
keys in the store's signing_keys table are sealed with it (libsodium secretbox: nonce,
MAC, ciphertext), never in clear; the sealed key opens with that file and nothing else,
and is the private half of the published JWK; a server given another key file cannot use
the old keys and makes a new one."""
import os
import stat

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from conftest import cli_ok, run_jeton
from jwt_helpers import (db_rows, header_of, issue_jwt, jwks, jwt_app, jwt_server, kids, rotate,
                         secretbox_open, verify_offline)

# These reach into the SQLite store file to plant records and move time.
pytestmark = pytest.mark.sqlite_only

KEK_BYTES = 32
# DER object identifiers of the three key types, as they appear inside a private key's DER
OIDS = {
    "Ed25519": bytes.fromhex("06032b6570"),
    "ecPublicKey": bytes.fromhex("06072a8648ce3d0201"),
    "prime256v1": bytes.fromhex("06082a8648ce3d030107"),
    "rsaEncryption": bytes.fromhex("06092a864886f70d010101"),
}


def check_key_file(path):
    st = os.stat(path)
    assert stat.S_ISREG(st.st_mode), path
    assert stat.S_IMODE(st.st_mode) == 0o600, f"{path} has mode {oct(stat.S_IMODE(st.st_mode))}"
    data = open(path, "rb").read()
    assert len(data) == KEK_BYTES, f"{path} holds {len(data)} bytes"
    assert len(set(data)) > 8, "the key-encryption key does not look random"
    return data


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """A server with an explicit --key-file in a directory of its own, and keys of each
    algorithm (rotated in with the CLI)."""
    work = tmp_path_factory.mktemp("jeton-jwt-keys")
    key_file = work / "secrets" / "kek.bin"
    key_file.parent.mkdir()
    s = jwt_server(work, "--key-file", key_file)
    s.key_file = key_file
    for alg in ("ES256", "RS256", "EdDSA"):
        rotate(s, "--jwt-alg", alg, "--key-file", key_file)
    yield s
    s.finish()


def test_serve_creates_the_key_file_0600_with_32_bytes(srv):
    check_key_file(srv.key_file)
    assert not (srv.workdir / "jeton.key").exists(), "--key-file ignored: ./jeton.key made"


def test_serve_default_key_file_is_dot_jeton_key(tmp_path):
    s = jwt_server(tmp_path / "default")
    try:
        check_key_file(s.workdir / "jeton.key")
    finally:
        s.finish()


def test_init_creates_the_key_file(tmp_path):
    p = run_jeton("--db", tmp_path / "j.db", "init", cwd=tmp_path)
    cli_ok(p)
    check_key_file(tmp_path / "jeton.key")
    # JETON_KEY_FILE is honoured too
    other = tmp_path / "other"
    other.mkdir()
    p = run_jeton("--db", other / "j.db", "init", cwd=other,
                  env={"JETON_KEY_FILE": str(other / "from-env.key")})
    cli_ok(p)
    check_key_file(other / "from-env.key")
    assert not (other / "jeton.key").exists()


def test_signing_keys_are_sealed_not_in_clear(srv):
    rows = db_rows(srv, "SELECT kid, alg, sealed_key, public_jwk FROM signing_keys")
    assert {r[1] for r in rows} >= {"EdDSA", "ES256", "RS256"}, rows
    srv.after_cache()                                  # past the 1 s key reload
    published = {k["kid"]: k for k in jwks(srv)["keys"]}
    kek = srv.key_file.read_bytes()
    for kid, alg, sealed, public_jwk in rows:
        sealed = bytes(sealed)
        # not PEM, and no DER key structure in clear
        assert b"PRIVATE KEY" not in sealed and b"-----BEGIN" not in sealed, kid
        for name, oid in OIDS.items():
            assert oid not in sealed, f"{kid}: the {name} OID is in clear in sealed_key"
        # the public parts of the key, which a clear DER private key holds, are not there
        jwk = published.get(kid)
        if jwk is not None and jwk["kty"] == "RSA":
            n = jwt.utils.base64url_decode(jwk["n"])
            assert n[:32] not in sealed, f"{kid}: the RSA modulus is in clear"
        if jwk is not None and jwk["kty"] == "EC":
            x = jwt.utils.base64url_decode(jwk["x"])
            assert x[:16] not in sealed, f"{kid}: the EC public point is in clear"

        # it opens with the key file, and is the private half of the published key
        der = secretbox_open(sealed, kek)
        assert der is not None, f"{kid}: sealed_key does not open with the key file"
        assert len(sealed) == 24 + 16 + len(der)
        assert der[0] == 0x30, "the opened key is not DER"
        assert not sealed.startswith(der[:8]), f"{kid}: sealed_key starts with the clear DER"
        assert der not in sealed and der[-32:] not in sealed, f"{kid}: the clear DER is stored"
        private = serialization.load_der_private_key(der, password=None)
        assert jwk is not None, f"{kid} not published"
        mine = private.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
        theirs = jwt.PyJWK(jwk).key.public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
        assert mine == theirs, f"{kid}: the sealed key is not the published key's private half"
        # and it does not open with another key
        assert secretbox_open(sealed, bytes(32)) is None
        assert secretbox_open(sealed, bytes(b ^ 1 for b in kek)) is None


def test_no_private_key_text_anywhere_in_the_store_files(srv):
    issue_jwt(srv, jwt_app(srv))
    for path in srv.workdir.glob("jeton.db*"):
        data = path.read_bytes()
        assert b"PRIVATE KEY" not in data, f"PEM private key text in {path.name}"
        assert b"-----BEGIN" not in data, f"PEM text in {path.name}"
        for name, oid in OIDS.items():
            # OIDs appear in no clear structure jeton stores (public keys are JWK text)
            assert oid not in data, f"the {name} OID (a DER key) appears in {path.name}"


def test_the_key_file_is_not_in_the_store(srv):
    kek = srv.key_file.read_bytes()
    for path in srv.workdir.glob("jeton.db*"):
        assert kek not in path.read_bytes(), f"the key-encryption key is in {path.name}"


def test_another_key_file_cannot_sign_with_the_old_keys(tmp_path):
    s = jwt_server(tmp_path / "kek", "--key-file", tmp_path / "kek" / "first.key")
    try:
        app = jwt_app(s)
        old = issue_jwt(s, app)
        old_kid = header_of(old)["kid"]
        assert s.stop() == 0, "jeton serve did not exit 0 on SIGTERM"
        s.extra_args = ["--key-file", str(tmp_path / "kek" / "second.key")]
        s.start()
        check_key_file(tmp_path / "kek" / "second.key")
        new = issue_jwt(s, app)
        new_kid = header_of(new)["kid"]
        assert new_kid != old_kid, "a server with another key file signed with the old key"
        assert new_kid in kids(s), kids(s)
        verify_offline(s, new, "EdDSA")
        assert s.get("/v1/me", token=new).status_code == 200
        # the old key's sealed bytes do not open with the second file
        sealed = db_rows(s, "SELECT sealed_key FROM signing_keys WHERE kid = ?1", (old_kid,))
        assert secretbox_open(bytes(sealed[0][0]),
                              (tmp_path / "kek" / "second.key").read_bytes()) is None
    finally:
        s.finish()


def test_a_short_key_file_is_refused(tmp_path):
    bad = tmp_path / "short.key"
    bad.write_bytes(b"\1" * 16)
    bad.chmod(0o600)
    p = run_jeton("--db", tmp_path / "j.db", "keys", "rotate", "--key-file", bad, cwd=tmp_path)
    assert p.returncode != 0, p.stdout

# SPDX-License-Identifier: MIT
"""Signing-key rotation while the server runs: `jeton keys rotate` (another process, the
same store) adds a key; once the key ring's one-second reload has passed (the clock is
moved) the JWKS lists both keys and new tokens carry the new kid; tokens of the old key keep verifying (PyJWT with the JWKS, and jeton's
/v1/me) for as long as they can live; `jeton keys list` shows the old key retired and
published until its last token has expired. Also --key-rotation (automatic rotation)."""
import pytest

from conftest import describe, parse_time
from jwt_helpers import (claims_of, header_of, issue_jwt, jwks, jwt_app, jwt_server, keys_list,
                         kids, kids_after_reload, next_second, rotate, signing_kid_after_reload,
                         verify_offline)

DAY = 86400


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = jwt_server(tmp_path_factory.mktemp("jeton-jwt-rotation"))
    yield s
    s.finish()


def test_keys_rotate_while_serving(srv):
    short = jwt_app(srv)                           # 900 s tokens
    longest = jwt_app(srv, access_ttl=DAY)         # the longest a JWT may live
    old = issue_jwt(srv, short)
    old_long = issue_jwt(srv, longest)
    old_kid = header_of(old)["kid"]
    assert header_of(old_long)["kid"] == old_kid
    assert kids(srv) == [old_kid], jwks(srv)
    before = keys_list(srv)
    assert [(k["kid"], k["retired"], k["until"]) for k in before] == [(old_kid, None, None)], before

    next_second(srv)         # keys are dated to the second (see the same-second test below)
    new_kid = rotate(srv)
    rotated_at = srv.now().timestamp()
    assert new_kid != old_kid

    # "every running node signs with it within a second"
    published = kids_after_reload(srv)
    assert {old_kid, new_kid} <= set(published), \
        f"JWKS {published} does not list both {old_kid} and {new_kid} after the reload"
    got = header_of(issue_jwt(srv, short))["kid"]
    assert got == new_kid, f"new tokens carry kid {got}, not the rotated-in {new_kid}"
    for _ in range(5):                             # and keep carrying it
        assert header_of(issue_jwt(srv, short))["kid"] == new_kid
    new = issue_jwt(srv, longest)
    assert header_of(new)["kid"] == new_kid
    assert srv.get("/v1/me", token=new).status_code == 200
    verify_offline(srv, new, "EdDSA")

    # the old tokens still verify, offline and on jeton (past the 1 s cache of both)
    srv.advance(2)
    for token in (old, old_long):
        verify_offline(srv, token, "EdDSA")
        r = srv.get("/v1/me", token=token)
        assert r.status_code == 200, describe(r)

    # keys list: the old key retired, published at least until its longest token expires
    rows = {k["kid"]: k for k in keys_list(srv)}
    assert set(rows) == {old_kid, new_kid}, rows
    assert rows[new_kid]["retired"] is None and rows[new_kid]["until"] is None, rows
    assert rows[old_kid]["retired"] is not None, rows
    retired = parse_time(rows[old_kid]["retired"]).timestamp()
    until = parse_time(rows[old_kid]["until"]).timestamp()
    assert abs(retired - rotated_at) < 5, rows
    assert until >= claims_of(old_long)["exp"], \
        f"old key unpublished at {rows[old_kid]['until']} before its token's exp " \
        f"{claims_of(old_long)['exp']}"
    assert until - retired >= DAY, rows

    # a second rotation keeps both older keys published
    next_second(srv)
    third = rotate(srv)
    published = kids_after_reload(srv)
    assert {old_kid, new_kid, third} <= set(published), published
    assert header_of(issue_jwt(srv, short))["kid"] == third
    srv.advance(2)
    for token in (old, old_long, new):
        verify_offline(srv, token, "EdDSA")
        assert srv.get("/v1/me", token=token).status_code == 200


@pytest.fixture(scope="module")
def es256(tmp_path_factory):
    s = jwt_server(tmp_path_factory.mktemp("jeton-jwt-rotation-es256"), alg="ES256")
    yield s
    s.finish()


def test_keys_rotate_on_an_es256_server(es256):
    """`keys rotate --jwt-alg ES256` where the server signs ES256: one new ES256 key, which
    signs; tokens of the old and the new key verify."""
    s = es256
    app = jwt_app(s)
    old = issue_jwt(s, app)
    assert header_of(old)["alg"] == "ES256"
    start = {k["kid"] for k in keys_list(s)}
    next_second(s)
    kid = rotate(s, "--jwt-alg", "ES256")
    assert signing_kid_after_reload(s, app) == kid
    rows = {k["kid"]: k for k in keys_list(s)}
    assert rows[kid]["alg"] == "ES256", rows
    assert set(rows) - start == {kid}, f"one rotation made {sorted(set(rows) - start)}"
    newer = issue_jwt(s, app)
    assert header_of(newer)["alg"] == "ES256"
    s.advance(2)
    for token in (old, newer):
        verify_offline(s, token, "ES256")
        assert s.get("/v1/me", token=token).status_code == 200


def test_keys_rotate_without_jwt_alg_on_an_es256_server(es256):
    """The operator runs plain `jeton keys rotate` (as docs/cli.md shows it) on a deployment
    that signs ES256: it prints the new key's id and "every running node signs with it
    within a second"; no other key is made."""
    s = es256
    app = jwt_app(s)
    start = {k["kid"] for k in keys_list(s)}
    next_second(s)
    kid = rotate(s)
    got = signing_kid_after_reload(s, app)
    rows = keys_list(s)
    made = {k["kid"] for k in rows} - start
    assert got == kid, \
        f"new tokens carry kid {got}, not {kid} printed by `keys rotate`; keys made: " \
        f"{sorted(made)}; keys list:\n" + "\n".join(str(k) for k in rows)
    assert made == {kid}, f"one `keys rotate` made {sorted(made)}"


def test_rotations_within_one_second_leave_the_printed_key_signing(srv):
    """Several `keys rotate` in a row (within a second: keys are dated to the second): each
    prints a key, the last printed one signs, and no other key is made behind the
    operator's back."""
    app = jwt_app(srv)
    start = {k["kid"] for k in keys_list(srv)}
    next_second(srv)                 # all of them within one second, as far as possible
    printed = [rotate(srv) for _ in range(6)]
    assert len(set(printed)) == 6
    got = signing_kid_after_reload(srv, app)
    rows = keys_list(srv)
    made = {k["kid"] for k in rows} - start
    assert got == printed[-1], \
        f"new tokens carry kid {got}, not {printed[-1]} printed by the last `keys rotate`; " \
        f"keys made: {sorted(made)}, printed: {printed}; keys list:\n" + \
        "\n".join(str(k) for k in rows)
    assert made == set(printed), \
        f"keys made {sorted(made)} != keys printed {sorted(printed)}; keys list:\n" + \
        "\n".join(str(k) for k in rows)
    signing = [k["kid"] for k in rows if k["retired"] is None]
    assert signing == [printed[-1]], rows


def test_automatic_rotation(tmp_path):
    """serve --key-rotation 1: a key older than that is replaced when it next signs; the
    old key stays published and its token keeps working."""
    s = jwt_server(tmp_path / "auto", "--key-rotation", "1")
    try:
        app = jwt_app(s)
        first = issue_jwt(s, app)
        kid1 = header_of(first)["kid"]
        s.advance(3)
        second = issue_jwt(s, app)
        kid2 = header_of(second)["kid"]
        assert kid2 != kid1, "the key was not rotated after --key-rotation seconds"
        assert {kid1, kid2} <= set(kids(s)), kids(s)
        for token in (first, second):
            verify_offline(s, token, "EdDSA")
            assert s.get("/v1/me", token=token).status_code == 200
        rows = {k["kid"]: k for k in keys_list(s)}
        assert rows[kid1]["retired"] is not None and rows[kid2]["retired"] is None, rows
    finally:
        s.finish()


def test_many_rotations_keep_every_live_token_verifiable(tmp_path):
    """Every key that may still have live tokens stays published and accepted, however many
    rotations happen within the day a retired key stays published (here 16)."""
    s = jwt_server(tmp_path / "many")
    try:
        app = jwt_app(s)
        first = issue_jwt(s, app)
        kid1 = header_of(first)["kid"]
        next_second(s)
        printed = [rotate(s) for _ in range(16)]
        assert signing_kid_after_reload(s, app) in set(printed) | \
            {k["kid"] for k in keys_list(s)}
        s.advance(2)
        rows = {k["kid"]: k for k in keys_list(s)}
        assert kid1 in rows and rows[kid1]["until"] is not None, rows
        assert parse_time(rows[kid1]["until"]).timestamp() > claims_of(first)["exp"], rows[kid1]
        published = kids(s)
        missing = sorted(set(rows) - set(published))
        assert not missing, \
            f"{len(missing)} of {len(rows)} keys listed as published by `keys list` are " \
            f"missing from the JWKS ({len(published)} keys): {missing}"
        r = s.get("/v1/me", token=first)
        assert r.status_code == 200, \
            f"a live token of the first key (published until {rows[kid1]['until']}) is " \
            f"refused after 16 rotations: {describe(r)}"
        verify_offline(s, first, "EdDSA")
    finally:
        s.finish()

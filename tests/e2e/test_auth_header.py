# SPDX-License-Identifier: MIT
"""How a token is sent (Authorization header) and how every kind of bad token is refused."""
import base64

import pytest

from conftest import (ADMIN_EMAIL, assert_401, assert_403_scope, describe, make_token,
                      with_bad_checksum)


def test_ping_answers_without_a_token(server):
    r = server.get("/v1/ping")
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert body["ok"] is True
    assert body["service"] == "jeton"
    assert isinstance(body["version"], str) and body["version"]


def test_healthz_reports_ok_while_the_store_answers(server):
    r = server.get("/healthz")
    assert r.status_code == 200, describe(r)
    assert r.json() == {"status": "ok"}


def test_bare_token_without_scheme_is_accepted_like_storyblok(server, admin_token):
    r = server.get("/v1/me", auth=admin_token)
    assert r.status_code == 200, describe(r)
    assert r.json()["user"]["email"] == ADMIN_EMAIL


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_bearer_scheme_is_accepted_in_any_letter_case(server, admin_token, scheme):
    r = server.get("/v1/me", auth=f"{scheme} {admin_token}")
    assert r.status_code == 200, describe(r)
    assert r.json()["user"]["email"] == ADMIN_EMAIL


def test_missing_authorization_header_gets_401_with_bearer_challenge(server):
    r = server.get("/v1/me")
    assert_401(r, token_presented=False)


def test_empty_authorization_header_gets_401(server):
    r = server.get("/v1/me", auth="")
    assert_401(r, token_presented=False)


def test_basic_scheme_is_refused_even_around_a_valid_token(server, admin_token):
    r = server.get("/v1/me", auth=f"Basic {admin_token}")
    assert_401(r, token_presented=False)
    creds = base64.b64encode(f"{ADMIN_EMAIL}:{server.admin_password or 'x' * 16}".encode())
    r = server.get("/v1/me", auth=f"Basic {creds.decode()}")
    assert_401(r, token_presented=False)


def test_unknown_scheme_is_refused(server, admin_token):
    r = server.get("/v1/me", auth=f"Token {admin_token}")
    assert_401(r, token_presented=False)


@pytest.mark.parametrize("value", [
    "Bearer",
    "Bearer ",
])
def test_bearer_without_a_token_is_refused(server, value):
    assert_401(server.get("/v1/me", auth=value), token_presented=False)


@pytest.mark.parametrize("kind", [
    "garbage", "prefix_only", "short", "truncated_by_one", "one_char_too_many",
    "not_base62", "lowercase_prefix", "trailing_garbage_word",
])
def test_malformed_token_is_refused_with_invalid_token(server, admin_token, kind):
    t = admin_token
    value = {
        "garbage": "not-a-token",
        "prefix_only": "jtp_",
        "short": "jtp_abc123",
        "truncated_by_one": t[:-1],
        "one_char_too_many": t + "A",
        "not_base62": t[:20] + "-" + t[21:],
        "lowercase_prefix": "JTP_" + t[4:],
        "trailing_garbage_word": t + " extra",
    }[kind]
    for auth in (value, f"Bearer {value}"):
        r = server.get("/v1/me", auth=auth)
        # a single word after the scheme is clearly a presented token: the challenge
        # must then say error="invalid_token" (RFC 6750 section 3)
        assert_401(r, token_presented=" " not in value)


def test_mistyped_token_is_refused_and_told_it_is_mistyped(server, admin_token):
    bad = with_bad_checksum(admin_token)
    for auth in (bad, f"Bearer {bad}"):
        r = server.get("/v1/me", auth=auth)
        description = assert_401(r)
        text = description.lower()
        assert any(w in text for w in ("checksum", "mistyped", "corrupt")), description


@pytest.mark.parametrize("prefix", ["jtp_", "jto_", "jtr_", "jtc_"])
def test_well_formed_token_never_issued_is_refused(server, prefix):
    r = server.get("/v1/me", auth=f"Bearer {make_token(prefix)}")
    assert_401(r)


def test_mistyped_and_unknown_tokens_get_different_explanations(server, admin_token):
    mistyped = assert_401(server.get("/v1/me", token=with_bad_checksum(admin_token)))
    unknown = assert_401(server.get("/v1/me", token=make_token()))
    assert mistyped != unknown


def test_error_description_in_challenge_matches_the_body(server, admin_token):
    r = server.get("/v1/me", token=with_bad_checksum(admin_token))
    description = assert_401(r)
    assert description in r.headers["WWW-Authenticate"] or \
        description.replace('"', '\\"') in r.headers["WWW-Authenticate"]


def test_revoked_token_is_refused_with_invalid_token(server, admin_token):
    pat = server.create_pat(admin_token, scopes=["manage_tokens"])
    assert server.get("/v1/me", token=pat["token"]).status_code == 200
    r = server.put(f"/v1/users/me/access_tokens/{pat['id']}/revoked", admin_token)
    assert r.status_code == 200, describe(r)
    for auth in (pat["token"], f"Bearer {pat['token']}"):
        assert_401(server.get("/v1/me", auth=auth))


def test_token_without_the_needed_scope_gets_403_naming_the_scope(server, admin_token):
    pat = server.create_pat(admin_token, scopes=["manage_tokens"])
    r = server.get("/v1/users", token=pat["token"])
    assert_403_scope(r, "manage_users")


def test_valid_token_on_every_protected_endpoint_is_not_401(server, admin_token):
    for path in ("/v1/me", "/v1/users/me/access_tokens", "/v1/users", "/v1/spaces"):
        r = server.get(path, token=admin_token)
        assert r.status_code == 200, describe(r)


@pytest.mark.parametrize("path", ["/v1/me", "/v1/users/me/access_tokens", "/v1/users",
                                  "/v1/spaces"])
def test_protected_endpoints_refuse_requests_without_a_token(server, path):
    assert_401(server.get(path), token_presented=False)

# SPDX-License-Identifier: MIT
"""Odd but well-formed input: NUL and non-ASCII in JSON strings, odd ids, deep JSON.

A C server must neither truncate a string at an embedded NUL nor answer 5xx.
"""
import pytest

from conftest import assert_error, describe, unique, unique_email

BASE = "/v1/users/me/access_tokens"


def _refused(r):
    """400 invalid_request that says why: a C string would end at the NUL."""
    body = assert_error(r, 400, "invalid_request")
    assert "NUL" in body["error_description"] or "nul" in body["error_description"], describe(r)


def test_token_name_with_an_embedded_nul_is_refused(server, admin_token):
    name = "ci\u0000prod"
    r = server.post(BASE, admin_token, json={"name": name, "scopes": ["manage_tokens"]})
    _refused(r)


def test_user_email_with_an_embedded_nul_is_refused(server, admin_token):
    email = unique_email("nul") + "\u0000admin@localhost"
    r = server.post("/v1/users", admin_token, json={"email": email})
    _refused(r)


def test_user_name_with_an_embedded_nul_is_refused(server, admin_token):
    name = "Eve\u0000Admin"
    r = server.post("/v1/users", admin_token, json={"email": unique_email(), "name": name})
    _refused(r)


def test_space_name_with_an_embedded_nul_is_refused(server, admin_token):
    name = unique("space") + "\u0000hidden"
    r = server.post("/v1/spaces", admin_token, json={"name": name})
    _refused(r)


@pytest.mark.parametrize("name", ["\U0001F511" * 100, "Zoë's \u201ctoken\u201d", "\u65e5\u672c"],
                         ids=["100_emoji", "quotes_and_accents", "cjk"])
def test_non_ascii_names_round_trip(server, admin_token, name):
    r = server.post(BASE, admin_token, json={"name": name, "scopes": ["manage_tokens"]})
    assert r.status_code == 201, describe(r)
    assert r.json()["name"] == name
    assert server.get(f"{BASE}/{r.json()['id']}", admin_token).json()["name"] == name


def test_101_emoji_name_is_refused(server, admin_token):
    r = server.post(BASE, admin_token, json={"name": "\U0001F511" * 101,
                                             "scopes": ["manage_tokens"]})
    assert_error(r, 400, "invalid_request")


@pytest.mark.parametrize("path", [
    f"{BASE}/99999999999999999999999",
    f"{BASE}/-1",
    f"{BASE}/1e3",
    f"{BASE}/0x1",
    "/v1/users/99999999999999999999",
    "/v1/users/-1",
    "/v1/spaces/99999999999999999999",
    "/v1/spaces/abc",
])
def test_odd_ids_are_not_found(server, admin_token, path):
    """An id that no resource can have is answered like one that none has."""
    r = server.get(path, admin_token)
    assert_error(r, 404, "not_found")


@pytest.mark.parametrize("body", [
    b"[" * 30000 + b"]" * 30000,
    b'{"name": ' + b"[" * 30000 + b"]" * 30000 + b"}",
    b'{"name": "x", "scopes": ' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}",
], ids=["deep_array", "deep_in_field", "deep_objects"])
def test_deeply_nested_json_is_refused_and_the_server_keeps_serving(server, admin_token, body):
    r = server.post(BASE, admin_token, data=body, headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_request")
    assert server.get("/v1/ping").status_code == 200


@pytest.mark.parametrize("limit", ["99999999999999999999", "1e2", "0x10"])
def test_odd_limits_are_refused(server, admin_token, limit):
    r = server.get(f"{BASE}?limit={limit}", admin_token)
    assert_error(r, 400, "invalid_request")

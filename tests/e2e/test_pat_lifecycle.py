# SPDX-License-Identifier: MIT
"""Personal access tokens over the API: create, get, list, revoke (PUT and DELETE), rotate."""
import datetime as dt
import time

import pytest

from conftest import (TIME_RE, TOKEN_RE, assert_401, assert_403_scope, assert_error,
                      checksum_ok, describe, parse_time, poll, rfc3339, unique, utcnow)

BASE = "/v1/users/me/access_tokens"
OBJECT_FIELDS = {"id", "name", "display_prefix", "scopes", "created_at", "expires_at",
                 "last_used_at", "last_used_ip", "revoked_at", "status"}


@pytest.fixture(scope="module")
def owner(server):
    """A non-admin user, editor in one space, with a manage_tokens token from the CLI."""
    user = server.new_user(name="Owner")
    space = server.new_space()
    server.grant(space["id"], user["email"], "editor")
    token = server.create_token(user["email"], name="owner-manage",
                                scopes=["manage_tokens", "read_content", "write_content"])
    return {"user": user, "space": space, "token": token}


@pytest.fixture(scope="module")
def other(server):
    user = server.new_user(name="Other")
    token = server.create_token(user["email"], name="other-manage", scopes=["manage_tokens"])
    pat = server.create_pat(token, name="other-second", scopes=["manage_tokens"])
    return {"user": user, "token": token, "pat": pat}


def _create(server, owner, **body):
    return server.create_pat(owner["token"], **body)


def _public(obj):
    return {k: v for k, v in obj.items() if k != "token"}


def test_create_returns_201_with_the_token_shown_once(server, owner):
    before = utcnow() - dt.timedelta(seconds=5)
    r = server.post(BASE, owner["token"],
                    json={"name": "ci", "scopes": ["read_content"], "expires_at": None})
    assert r.status_code == 201, describe(r)
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers
    body = r.json()
    assert OBJECT_FIELDS | {"token"} <= set(body), body
    assert isinstance(body["id"], int)
    assert r.headers.get("Location", "").endswith(f"{BASE}/{body['id']}"), r.headers
    assert TOKEN_RE.match(body["token"]) and checksum_ok(body["token"]), body["token"]
    assert body["display_prefix"] == body["token"][:8]
    assert body["name"] == "ci"
    assert body["scopes"] == ["read_content"]
    assert body["expires_at"] is None
    assert body["last_used_at"] is None and body["last_used_ip"] is None
    assert body["revoked_at"] is None
    assert body["status"] == "active"
    created = parse_time(body["created_at"])
    assert before <= created <= utcnow() + dt.timedelta(seconds=5)


def test_new_token_authenticates_as_its_owner(server, owner):
    pat = _create(server, owner, name="me-check", scopes=["read_content", "manage_tokens"])
    r = server.get("/v1/me", token=pat["token"])
    assert r.status_code == 200, describe(r)
    me = r.json()
    assert me["user"]["id"] == owner["user"]["id"]
    assert me["user"]["email"] == owner["user"]["email"]
    assert me["token"]["kind"] == "pat"
    assert me["token"]["id"] == pat["id"]
    assert me["token"]["name"] == "me-check"
    assert set(me["token"]["scopes"]) == {"read_content", "manage_tokens"}
    assert me["token"]["expires_at"] is None


def test_scopes_absent_means_every_scope_the_user_holds(server, owner):
    pat = _create(server, owner, name="all")
    # an editor holds read_content and write_content; every user holds manage_tokens
    assert set(pat["scopes"]) == {"manage_tokens", "read_content", "write_content"}


def test_get_returns_the_token_object_without_the_secret(server, owner):
    pat = _create(server, owner, scopes=["read_content"])
    r = server.get(f"{BASE}/{pat['id']}", owner["token"])
    assert r.status_code == 200, describe(r)
    assert "token" not in r.json()
    assert pat["token"] not in r.text
    assert pat["token"][8:] not in r.text
    assert r.json() == _public(pat)


def test_list_shows_the_token_without_the_secret(server, owner):
    pat = _create(server, owner, scopes=["read_content"])
    r = server.get(f"{BASE}?limit=100", owner["token"])
    assert r.status_code == 200, describe(r)
    items = r.json()["items"]
    assert all("token" not in item for item in items), items
    assert pat["token"][8:] not in r.text
    mine = [item for item in items if item["id"] == pat["id"]]
    assert mine == [_public(pat)]


def test_expires_at_in_the_future_is_kept(server, owner):
    pat = _create(server, owner, expires_at="2099-01-02T03:04:05Z")
    assert pat["expires_at"] == "2099-01-02T03:04:05Z"
    r = server.get("/v1/me", token=pat["token"])
    assert r.status_code == 200, describe(r)
    assert r.json()["token"]["expires_at"] == "2099-01-02T03:04:05Z"


def test_expires_at_with_an_offset_is_returned_in_utc(server, owner):
    pat = _create(server, owner, expires_at="2099-01-02T05:04:05+02:00")
    assert pat["expires_at"] == "2099-01-02T03:04:05Z"


def test_expires_at_absent_or_null_means_never(server, owner):
    absent = _create(server, owner)
    null = _create(server, owner, expires_at=None)
    assert absent["expires_at"] is None and null["expires_at"] is None
    assert absent["status"] == null["status"] == "active"


def test_expires_at_with_fractional_seconds_is_accepted(server, owner):
    pat = _create(server, owner, expires_at="2099-01-02T03:04:05.250Z")
    assert pat["expires_at"] in ("2099-01-02T03:04:05Z", "2099-01-02T03:04:05.250Z",
                                 "2099-01-02T03:04:06Z")


@pytest.mark.parametrize("expires_at", [
    "2000-01-01T00:00:00Z",      # past
    "PAST_MINUTE",                # one minute ago
    "tomorrow",                   # garbage
    "2099-13-01T00:00:00Z",      # no 13th month
    "2099-02-30T00:00:00Z",      # no 30 February
    "",
    12345,                        # wrong type
    True,
])
def test_expires_at_in_the_past_or_garbage_is_refused(server, owner, expires_at):
    if expires_at == "PAST_MINUTE":
        expires_at = rfc3339(utcnow() - dt.timedelta(minutes=1))
    r = server.post(BASE, owner["token"], json={"name": unique(), "expires_at": expires_at})
    assert_error(r, 400, "invalid_request")


@pytest.mark.parametrize("name", ["", "x" * 101, None, 42, ["a"]], ids=[
    "empty", "101_chars", "null", "number", "list"])
def test_bad_name_is_refused(server, owner, name):
    r = server.post(BASE, owner["token"], json={"name": name, "scopes": ["read_content"]})
    assert_error(r, 400, "invalid_request")


def test_missing_name_is_refused(server, owner):
    r = server.post(BASE, owner["token"], json={"scopes": ["read_content"]})
    assert_error(r, 400, "invalid_request")


@pytest.mark.parametrize("name", ["x", "y" * 100, "é" * 100, "ci token (prod) #1"],
                         ids=["1_char", "100_chars", "100_non_ascii_chars", "punctuation"])
def test_name_of_1_to_100_characters_is_accepted(server, owner, name):
    pat = _create(server, owner, name=name)
    assert pat["name"] == name
    r = server.get(f"{BASE}/{pat['id']}", owner["token"])
    assert r.json()["name"] == name


def test_unknown_scope_is_refused_with_invalid_scope(server, owner):
    r = server.post(BASE, owner["token"], json={"name": unique(), "scopes": ["fly_rockets"]})
    assert_error(r, 400, "invalid_scope")


@pytest.mark.parametrize("scopes", [[], ["read_content", "read_content"], "read_content",
                                    [42], {"read_content": True}],
                         ids=["empty", "duplicate", "string", "number_item", "object"])
def test_empty_duplicate_or_ill_typed_scopes_are_refused(server, owner, scopes):
    # scopes: a non-empty list of distinct known scopes
    r = server.post(BASE, owner["token"], json={"name": unique(), "scopes": scopes})
    body = assert_error(r, 400)
    assert body["error"] in ("invalid_request", "invalid_scope"), body


@pytest.mark.parametrize("raw", [b"{", b"[]", b"\"name\"", b"null", b"{\"name\": \"a\",}",
                                 b"\xff\xfe{}", b""])
def test_malformed_json_body_is_refused_with_invalid_request(server, owner, raw):
    r = server.post(BASE, owner["token"], data=raw,
                    headers={"Content-Type": "application/json"})
    assert_error(r, 400, "invalid_request")
    assert server.get("/v1/ping").status_code == 200


def test_put_revoked_revokes_at_once_and_is_idempotent(server, owner):
    pat = _create(server, owner, scopes=["read_content"])
    assert server.get("/v1/me", token=pat["token"]).status_code == 200
    r = server.put(f"{BASE}/{pat['id']}/revoked", owner["token"])
    assert r.status_code == 200, describe(r)
    first = r.json()
    assert "token" not in first
    assert first["id"] == pat["id"]
    assert first["status"] == "revoked"
    assert TIME_RE.match(first["revoked_at"] or ""), first
    assert_401(server.get("/v1/me", token=pat["token"]))
    server.advance(2)  # so that a second revocation would get a different time
    r = server.put(f"{BASE}/{pat['id']}/revoked", owner["token"])
    assert r.status_code == 200, describe(r)
    assert r.json()["status"] == "revoked"
    assert r.json()["revoked_at"] == first["revoked_at"]
    r = server.get(f"{BASE}/{pat['id']}", owner["token"])
    assert r.status_code == 200, describe(r)
    assert r.json()["status"] == "revoked"
    assert r.json()["revoked_at"] == first["revoked_at"]
    assert_401(server.get("/v1/me", token=pat["token"]))


def test_delete_revokes_at_once_and_is_idempotent(server, owner):
    pat = _create(server, owner, scopes=["read_content"])
    assert server.get("/v1/me", token=pat["token"]).status_code == 200
    r = server.delete(f"{BASE}/{pat['id']}", owner["token"])
    assert r.status_code == 204, describe(r)
    assert r.content == b""
    assert_401(server.get("/v1/me", token=pat["token"]))
    r = server.delete(f"{BASE}/{pat['id']}", owner["token"])
    assert r.status_code == 204, describe(r)
    assert_401(server.get("/v1/me", token=pat["token"]))


def test_revoking_one_token_leaves_the_others_working(server, owner):
    a = _create(server, owner, scopes=["read_content"])
    b = _create(server, owner, scopes=["read_content"])
    assert server.put(f"{BASE}/{a['id']}/revoked", owner["token"]).status_code == 200
    assert server.get("/v1/me", token=b["token"]).status_code == 200
    assert server.get("/v1/me", token=owner["token"]).status_code == 200


def test_rotate_gives_a_new_token_with_the_same_settings_and_revokes_the_old(server, owner):
    old = _create(server, owner, name="rotating", scopes=["read_content", "write_content"],
                  expires_at="2098-06-07T08:09:10Z")
    assert server.get("/v1/me", token=old["token"]).status_code == 200
    r = server.post(f"{BASE}/{old['id']}/rotate", owner["token"])
    assert r.status_code == 201, describe(r)
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers
    new = r.json()
    assert OBJECT_FIELDS | {"token"} <= set(new), new
    assert TOKEN_RE.match(new["token"]) and checksum_ok(new["token"])
    assert new["token"] != old["token"]
    assert new["id"] != old["id"]
    assert new["display_prefix"] == new["token"][:8]
    assert new["name"] == "rotating"
    assert set(new["scopes"]) == {"read_content", "write_content"}
    assert new["expires_at"] == "2098-06-07T08:09:10Z"
    assert new["status"] == "active" and new["revoked_at"] is None
    assert_401(server.get("/v1/me", token=old["token"]))
    me = server.get("/v1/me", token=new["token"])
    assert me.status_code == 200, describe(me)
    assert me.json()["token"]["id"] == new["id"]
    r = server.get(f"{BASE}/{old['id']}", owner["token"])
    assert r.status_code == 200, describe(r)
    assert r.json()["status"] == "revoked"


def test_rotating_a_revoked_token_is_a_conflict(server, owner):
    pat = _create(server, owner, scopes=["read_content"])
    assert server.put(f"{BASE}/{pat['id']}/revoked", owner["token"]).status_code == 200
    r = server.post(f"{BASE}/{pat['id']}/rotate", owner["token"])
    assert_error(r, 409, "conflict")


def test_rotating_twice_the_same_token_is_a_conflict(server, owner):
    pat = _create(server, owner, scopes=["read_content"])
    assert server.post(f"{BASE}/{pat['id']}/rotate", owner["token"]).status_code == 201
    r = server.post(f"{BASE}/{pat['id']}/rotate", owner["token"])
    assert_error(r, 409, "conflict")


@pytest.mark.parametrize("method,suffix", [("GET", ""), ("PUT", "/revoked"),
                                           ("DELETE", ""), ("POST", "/rotate")])
def test_another_users_token_is_not_found(server, owner, other, method, suffix):
    theirs = other["pat"]
    r = server.request(method, f"{BASE}/{theirs['id']}{suffix}", token=owner["token"])
    assert_error(r, 404, "not_found")
    assert theirs["token"][8:] not in r.text
    # and nothing happened to it
    assert server.get("/v1/me", token=theirs["token"]).status_code == 200
    r = server.get(f"{BASE}/{theirs['id']}", other["token"])
    assert r.status_code == 200 and r.json()["status"] == "active", describe(r)


def test_another_users_tokens_are_not_listed(server, owner, other):
    r = server.get(f"{BASE}?limit=100", owner["token"])
    assert r.status_code == 200, describe(r)
    ids = {item["id"] for item in r.json()["items"]}
    assert other["pat"]["id"] not in ids


@pytest.mark.parametrize("method,suffix", [("GET", ""), ("PUT", "/revoked"),
                                           ("DELETE", ""), ("POST", "/rotate")])
def test_unknown_token_id_is_not_found(server, owner, method, suffix):
    r = server.request(method, f"{BASE}/987654321{suffix}", token=owner["token"])
    assert_error(r, 404, "not_found")


def test_non_numeric_token_id_is_refused(server, owner):
    r = server.get(f"{BASE}/abc", owner["token"])
    assert_error(r, 404, "not_found")


@pytest.mark.parametrize("method,suffix,body", [
    ("POST", "", {"name": "x", "scopes": ["read_content"]}),
    ("GET", "", None),
    ("GET", "/ID", None),
    ("PUT", "/ID/revoked", None),
    ("DELETE", "/ID", None),
    ("POST", "/ID/rotate", None),
])
def test_token_management_needs_the_manage_tokens_scope(server, owner, method, suffix, body):
    target = _create(server, owner, scopes=["read_content"])
    reader = _create(server, owner, scopes=["read_content", "write_content"])
    r = server.request(method, BASE + suffix.replace("ID", str(target["id"])),
                       token=reader["token"], json=body)
    assert_403_scope(r, "manage_tokens")
    # nothing changed
    assert server.get("/v1/me", token=target["token"]).status_code == 200


def test_last_use_time_and_ip_are_recorded_after_use(server, owner):
    pat = _create(server, owner, scopes=["read_content"])
    assert pat["last_used_at"] is None and pat["last_used_ip"] is None
    before = utcnow() - dt.timedelta(seconds=5)
    assert server.get("/v1/me", token=pat["token"]).status_code == 200

    def used():
        obj = server.get(f"{BASE}/{pat['id']}", owner["token"]).json()
        return obj if obj["last_used_at"] is not None else None
    obj = poll(used, timeout=5.0, interval=0.2)
    assert obj, "last_used_at still null 5 s after the token was used"
    assert before <= parse_time(obj["last_used_at"]) <= server.now() + dt.timedelta(seconds=5)
    assert obj["last_used_ip"] == "127.0.0.1"


def test_last_use_is_written_at_most_once_a_minute(server, owner):
    pat = _create(server, owner, scopes=["read_content"])
    assert server.get("/v1/me", token=pat["token"]).status_code == 200

    def used():
        obj = server.get(f"{BASE}/{pat['id']}", owner["token"]).json()
        return obj if obj["last_used_at"] is not None else None
    first = poll(used, timeout=5.0, interval=0.2)
    assert first, "last_used_at still null 5 s after the token was used"
    server.advance(50)  # a rewrite would now carry a later time
    assert server.get("/v1/me", token=pat["token"]).status_code == 200
    time.sleep(0.2)
    again = server.get(f"{BASE}/{pat['id']}", owner["token"]).json()
    assert again["last_used_at"] == first["last_used_at"]

    server.advance(20)  # past the minute: the next use is written
    assert server.get("/v1/me", token=pat["token"]).status_code == 200
    later = poll(lambda: (lambda o: o if o["last_used_at"] != first["last_used_at"] else None)(
        server.get(f"{BASE}/{pat['id']}", owner["token"]).json()), timeout=5.0, interval=0.1)
    assert later, "last_used_at not rewritten after a minute"
    assert (parse_time(later["last_used_at"]) - parse_time(first["last_used_at"])).total_seconds() >= 60


@pytest.mark.parametrize("method,path,allowed", [
    ("PATCH", "", {"GET", "POST"}),
    ("PATCH", "/ID", {"GET", "DELETE"}),
    ("GET", "/ID/rotate", {"POST"}),
    ("DELETE", "/ID/revoked", {"PUT"}),
])
def test_method_not_allowed_lists_the_allowed_methods(server, owner, method, path, allowed):
    pat = _create(server, owner, scopes=["read_content"])
    r = server.request(method, BASE + path.replace("ID", str(pat["id"])),
                       token=owner["token"], json={})
    assert_error(r, 405, "method_not_allowed")
    allow = {m.strip().upper() for m in r.headers.get("Allow", "").split(",")}
    assert allowed <= allow, r.headers
    assert method not in allow
    assert server.get("/v1/me", token=pat["token"]).status_code == 200


def test_unknown_path_is_not_found(server, owner):
    r = server.get("/v1/no-such-thing", owner["token"])
    assert_error(r, 404, "not_found")

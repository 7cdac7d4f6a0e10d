# SPDX-License-Identifier: MIT
"""/v1/users and /v1/spaces as an instance admin uses them."""
import datetime as dt

import pytest

from conftest import (ADMIN_EMAIL, assert_error, cli_ok, describe, parse_time, poll, unique,
                      unique_email, utcnow)

USER_FIELDS = {"id", "email", "friendly_name", "admin", "disabled", "created_at"}


def test_create_user_returns_201_with_a_generated_password_once(server, admin_token):
    email = unique_email("new")
    r = server.post("/v1/users", admin_token, json={"email": email, "name": "New Person"})
    assert r.status_code == 201, describe(r)
    user = r.json()
    assert USER_FIELDS <= set(user), user
    assert isinstance(user["id"], int)
    assert user["email"] == email
    assert user["friendly_name"] == "New Person"
    assert user["admin"] is False and user["disabled"] is False
    assert abs(parse_time(user["created_at"]) - utcnow()) < dt.timedelta(minutes=2)
    assert isinstance(user.get("password"), str) and len(user["password"]) >= 12
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers
    r = server.get(f"/v1/users/{user['id']}", admin_token)
    assert r.status_code == 200, describe(r)
    assert "password" not in r.json()
    assert user["password"] not in r.text
    assert {k: v for k, v in user.items() if k != "password"} == r.json()


def test_create_user_with_a_password_does_not_echo_it(server, admin_token):
    pw = "correct horse battery staple"
    r = server.post("/v1/users", admin_token, json={"email": unique_email(), "password": pw})
    assert r.status_code == 201, describe(r)
    assert "password" not in r.json()
    assert pw not in r.text


def test_create_admin_user(server, admin_token):
    r = server.post("/v1/users", admin_token, json={"email": unique_email(), "admin": True})
    assert r.status_code == 201, describe(r)
    assert r.json()["admin"] is True


def test_taken_email_is_a_conflict_whatever_its_case(server, admin_token):
    email = unique_email("dup")
    assert server.post("/v1/users", admin_token, json={"email": email}).status_code == 201
    assert_error(server.post("/v1/users", admin_token, json={"email": email}), 409, "conflict")
    assert_error(server.post("/v1/users", admin_token, json={"email": email.upper()}),
                 409, "conflict")
    assert_error(server.post("/v1/users", admin_token, json={"email": ADMIN_EMAIL}),
                 409, "conflict")


@pytest.mark.parametrize("body", [
    {},
    {"email": 42},
    {"email": None},
    {"email": unique_email(), "password": "short"},      # < 12 bytes
    {"email": unique_email(), "password": "p" * 1025},   # > 1024 bytes
    {"email": unique_email(), "admin": "yes"},
    {"email": unique_email(), "name": 7},
], ids=["no_email", "email_number", "email_null", "password_too_short",
        "password_too_long", "admin_not_bool", "name_not_string"])
def test_bad_user_fields_are_refused(server, admin_token, body):
    assert_error(server.post("/v1/users", admin_token, json=body), 400, "invalid_request")


def test_password_of_12_and_1024_bytes_is_accepted(server, admin_token):
    for pw in ("p" * 12, "p" * 1024):
        r = server.post("/v1/users", admin_token, json={"email": unique_email(), "password": pw})
        assert r.status_code == 201, describe(r)


def test_user_list_is_newest_first_and_paginated(server, admin_token):
    made = [server.new_user()["id"] for _ in range(4)]
    r = server.get("/v1/users?limit=2", admin_token)
    assert r.status_code == 200, describe(r)
    page = r.json()
    assert page["limit"] == 2
    assert [u["id"] for u in page["items"]] == made[::-1][:2]
    assert page["next_before"] == made[2]
    r = server.get(f"/v1/users?limit=2&before={page['next_before']}", admin_token)
    assert [u["id"] for u in r.json()["items"]] == made[::-1][2:4]
    # walk all pages (bounded) and find the admin last
    seen, before = [], None
    for _ in range(200):
        q = "limit=5" + (f"&before={before}" if before else "")
        page = server.get(f"/v1/users?{q}", admin_token).json()
        seen += page["items"]
        before = page["next_before"]
        if before is None:
            break
    assert before is None
    ids = [u["id"] for u in seen]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == len(ids)
    assert seen[-1]["email"] == ADMIN_EMAIL
    assert all(not any(k.startswith("password") for k in u) for u in seen)
    assert "argon2" not in server.get("/v1/users?limit=100", admin_token).text


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "before=x"])
def test_bad_user_list_query_is_refused(server, admin_token, query):
    assert_error(server.get(f"/v1/users?{query}", admin_token), 400, "invalid_request")


def test_unknown_user_is_not_found(server, admin_token):
    assert_error(server.get("/v1/users/987654", admin_token), 404, "not_found")
    assert_error(server.patch("/v1/users/987654", admin_token, json={"disabled": True}),
                 404, "not_found")


def test_patch_user_changes_name_and_admin(server, admin_token):
    user = server.new_user(name="Before")
    r = server.patch(f"/v1/users/{user['id']}", admin_token,
                     json={"name": "After", "admin": True})
    assert r.status_code == 200, describe(r)
    assert r.json()["friendly_name"] == "After" and r.json()["admin"] is True
    assert r.json()["email"] == user["email"]
    r = server.get(f"/v1/users/{user['id']}", admin_token)
    assert r.json()["friendly_name"] == "After" and r.json()["admin"] is True


@pytest.mark.parametrize("body", [{"disabled": "yes"}, {"admin": 1}, {"name": 5}, []],
                         ids=["disabled_str", "admin_int", "name_number", "not_object"])
def test_patch_user_with_ill_typed_fields_is_refused(server, admin_token, body):
    user = server.new_user()
    r = server.patch(f"/v1/users/{user['id']}", admin_token, json=body)
    assert_error(r, 400, "invalid_request")
    r = server.get(f"/v1/users/{user['id']}", admin_token)
    assert r.json()["disabled"] is False and r.json()["admin"] is False


def test_user_added_by_cli_is_visible_in_the_api(server, admin_token):
    email = unique_email("cli")
    p = cli_ok(server.cli("user", "add", email, "--name", "From CLI"))
    uid = int(p.stdout.splitlines()[0])

    def fetch():
        r = server.get(f"/v1/users/{uid}", admin_token)
        return r if r.status_code == 200 else None
    r = poll(fetch)
    assert r is not None, "user added by the CLI not visible through the API"
    assert r.json()["email"] == email and r.json()["friendly_name"] == "From CLI"


# ---------------------------------------------------------------- spaces

def test_create_space_returns_201(server, admin_token):
    name = unique("Demo")
    r = server.post("/v1/spaces", admin_token, json={"name": name})
    assert r.status_code == 201, describe(r)
    space = r.json()
    assert {"id", "name", "created_at"} <= set(space)
    assert space["name"] == name and isinstance(space["id"], int)
    parse_time(space["created_at"])


def test_taken_space_name_is_a_conflict(server, admin_token):
    name = unique("dup-space")
    assert server.post("/v1/spaces", admin_token, json={"name": name}).status_code == 201
    assert_error(server.post("/v1/spaces", admin_token, json={"name": name}), 409, "conflict")


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": 5}, {"name": None}],
                         ids=["no_name", "empty", "number", "null"])
def test_bad_space_name_is_refused(server, admin_token, body):
    assert_error(server.post("/v1/spaces", admin_token, json=body), 400, "invalid_request")


def test_admin_lists_every_space(server, admin_token):
    made = {server.new_space()["id"] for _ in range(3)}
    r = server.get("/v1/spaces", admin_token)
    assert r.status_code == 200, describe(r)
    assert made <= {s["id"] for s in r.json()["items"]}


def test_space_members_are_added_by_email_or_id_changed_and_removed(server, admin_token):
    space = server.new_space()
    a, b = server.new_user(), server.new_user()
    r = server.get(f"/v1/spaces/{space['id']}", admin_token)
    assert r.status_code == 200, describe(r)
    assert r.json()["members"] == [] and r.json()["name"] == space["name"]

    r = server.put(f"/v1/spaces/{space['id']}/members/{a['email']}", admin_token,
                   json={"role": "editor"})
    assert r.status_code == 200, describe(r)
    assert r.json() == {"user_id": a["id"], "email": a["email"], "role": "editor"}
    r = server.put(f"/v1/spaces/{space['id']}/members/{b['id']}", admin_token,
                   json={"role": "viewer"})
    assert r.status_code == 200, describe(r)
    assert r.json() == {"user_id": b["id"], "email": b["email"], "role": "viewer"}

    members = server.get(f"/v1/spaces/{space['id']}", admin_token).json()["members"]
    assert sorted(members, key=lambda m: m["user_id"]) == sorted([
        {"user_id": a["id"], "email": a["email"], "role": "editor"},
        {"user_id": b["id"], "email": b["email"], "role": "viewer"}],
        key=lambda m: m["user_id"])

    r = server.put(f"/v1/spaces/{space['id']}/members/{a['id']}", admin_token,
                   json={"role": "admin"})
    assert r.status_code == 200 and r.json()["role"] == "admin", describe(r)
    r = server.delete(f"/v1/spaces/{space['id']}/members/{b['email']}", admin_token)
    assert r.status_code == 204, describe(r)
    members = server.get(f"/v1/spaces/{space['id']}", admin_token).json()["members"]
    assert members == [{"user_id": a["id"], "email": a["email"], "role": "admin"}]


@pytest.mark.parametrize("body", [{"role": "owner"}, {"role": ""}, {}, {"role": 1}],
                         ids=["unknown_role", "empty_role", "no_role", "role_number"])
def test_bad_role_is_refused(server, admin_token, body):
    space, user = server.new_space(), server.new_user()
    r = server.put(f"/v1/spaces/{space['id']}/members/{user['email']}", admin_token, json=body)
    assert_error(r, 400, "invalid_request")
    assert server.get(f"/v1/spaces/{space['id']}", admin_token).json()["members"] == []


def test_unknown_user_or_space_is_not_found(server, admin_token):
    space, user = server.new_space(), server.new_user()
    r = server.put(f"/v1/spaces/{space['id']}/members/nobody-{unique()}@example.com",
                   admin_token, json={"role": "viewer"})
    assert_error(r, 404, "not_found")
    r = server.put(f"/v1/spaces/987654/members/{user['email']}", admin_token,
                   json={"role": "viewer"})
    assert_error(r, 404, "not_found")
    assert_error(server.get("/v1/spaces/987654", admin_token), 404, "not_found")


def test_space_added_by_cli_is_visible_in_the_api(server, admin_token):
    name = unique("cli-space")
    p = cli_ok(server.cli("space", "add", name))
    sid = int(p.stdout.strip())

    def fetch():
        r = server.get(f"/v1/spaces/{sid}", admin_token)
        return r if r.status_code == 200 else None
    r = poll(fetch)
    assert r is not None, "space added by the CLI not visible through the API"
    assert r.json()["name"] == name

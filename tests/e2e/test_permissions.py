# SPDX-License-Identifier: MIT
"""A token's rights = its scopes ∩ its user's permissions, computed when it is used."""
import pytest

from conftest import (assert_401, assert_403_scope, assert_error, describe, unique)

BASE = "/v1/users/me/access_tokens"


def _space_rights(server, token):
    r = server.get("/v1/me", token=token)
    assert r.status_code == 200, describe(r)
    return {s["id"]: (s["role"], set(s["permissions"])) for s in r.json()["spaces"]}


@pytest.fixture()
def editor(server):
    """A fresh non-admin user, editor in a fresh space, token with every scope it holds."""
    user = server.new_user()
    space = server.new_space()
    server.grant(space["id"], user["email"], "editor")
    token = server.create_token(user["email"],
                                scopes=["manage_tokens", "read_content", "write_content"])
    return {"user": user, "space": space, "token": token}


@pytest.mark.parametrize("method,path,body", [
    ("GET", "/v1/users", None),
    ("POST", "/v1/users", {"email": "x-denied@example.com"}),
    ("GET", "/v1/users/1", None),
    ("PATCH", "/v1/users/1", {"admin": False}),
    ("POST", "/v1/spaces", {"name": "denied-space"}),
])
def test_non_admin_gets_403_on_admin_endpoints(server, editor, method, path, body):
    r = server.request(method, path, token=editor["token"], json=body)
    assert_403_scope(r, "manage_users")


def test_admin_endpoints_did_not_change_anything_for_a_non_admin(server, editor):
    server.request("POST", "/v1/users", token=editor["token"],
                   json={"email": "sneaky@example.com"})
    r = server.get("/v1/users?limit=100", server.admin_token)
    assert "sneaky@example.com" not in {u["email"] for u in r.json()["items"]}
    admin_id = server.get("/v1/me", token=server.admin_token).json()["user"]["id"]
    server.request("PATCH", f"/v1/users/{admin_id}", token=editor["token"],
                   json={"admin": False})
    r = server.get(f"/v1/users/{admin_id}", server.admin_token)
    assert r.json()["admin"] is True


def test_admin_token_without_manage_users_scope_gets_403(server, admin_token):
    pat = server.create_pat(admin_token, scopes=["manage_tokens"])
    assert_403_scope(server.get("/v1/users", token=pat["token"]), "manage_users")


@pytest.mark.parametrize("scope", ["manage_users", "manage_apps", "manage_space"])
def test_creating_a_token_with_a_scope_the_user_does_not_hold_is_invalid_scope(
        server, editor, scope):
    r = server.post(BASE, editor["token"], json={"name": unique(), "scopes": [scope]})
    assert_error(r, 400, "invalid_scope")


def test_viewer_cannot_create_a_write_content_token(server):
    user = server.new_user()
    space = server.new_space()
    server.grant(space["id"], user["email"], "viewer")
    token = server.create_token(user["email"], scopes=["manage_tokens", "read_content"])
    r = server.post(BASE, token, json={"name": unique(), "scopes": ["write_content"]})
    assert_error(r, 400, "invalid_scope")
    r = server.post(BASE, token, json={"name": unique(), "scopes": ["read_content"]})
    assert r.status_code == 201, describe(r)


def test_user_without_spaces_cannot_create_a_read_content_token(server):
    user = server.new_user()
    token = server.create_token(user["email"], scopes=["manage_tokens"])
    r = server.post(BASE, token, json={"name": unique(), "scopes": ["read_content"]})
    assert_error(r, 400, "invalid_scope")


def test_cli_refuses_a_token_with_a_scope_the_user_does_not_hold(server, editor):
    p = server.cli("token", "create", "--user", editor["user"]["email"], "--name", "nope",
                   "--scopes", "manage_users")
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert p.stdout.strip() == ""
    assert p.stderr.strip()


def test_me_shows_each_space_with_role_and_effective_permissions(server, editor):
    rights = _space_rights(server, editor["token"])
    assert rights == {editor["space"]["id"]: ("editor", {"read_content", "write_content"})}
    me = server.get("/v1/me", token=editor["token"]).json()
    assert me["user"]["admin"] is False
    assert "manage_tokens" in me["scopes"]
    assert not ({"manage_users", "manage_apps"} & set(me["scopes"]))
    assert me["spaces"][0]["name"] == editor["space"]["name"]


def test_token_scopes_narrow_the_users_rights_in_a_space(server, editor):
    narrow = server.create_pat(editor["token"], scopes=["read_content"])
    rights = _space_rights(server, narrow["token"])
    assert rights == {editor["space"]["id"]: ("editor", {"read_content"})}


def test_role_change_takes_effect_at_once(server, editor):
    sid, email, token = editor["space"]["id"], editor["user"]["email"], editor["token"]
    server.grant(sid, email, "viewer")
    assert _space_rights(server, token) == {sid: ("viewer", {"read_content"})}
    server.grant(sid, email, "admin")
    # the token was not given manage_space, so the admin role adds nothing beyond editor
    assert _space_rights(server, token) == {sid: ("admin", {"read_content", "write_content"})}
    server.grant(sid, email, "editor")
    assert _space_rights(server, token) == {sid: ("editor", {"read_content", "write_content"})}


def test_removal_from_a_space_takes_effect_at_once(server, editor):
    sid = editor["space"]["id"]
    r = server.delete(f"/v1/spaces/{sid}/members/{editor['user']['email']}",
                      server.admin_token)
    assert r.status_code == 204, describe(r)
    assert _space_rights(server, editor["token"]) == {}
    r = server.get("/v1/spaces", editor["token"])
    assert r.status_code == 200 and r.json()["items"] == [], describe(r)


def test_disabling_a_user_stops_all_their_tokens_at_once(server, editor):
    second = server.create_pat(editor["token"], scopes=["read_content"])
    assert server.get("/v1/me", token=second["token"]).status_code == 200
    r = server.patch(f"/v1/users/{editor['user']['id']}", server.admin_token,
                     json={"disabled": True})
    assert r.status_code == 200, describe(r)
    assert r.json()["disabled"] is True
    for token in (editor["token"], second["token"]):
        assert_401(server.get("/v1/me", token=token))
        assert_401(server.get("/v1/me", auth=token))
        assert_401(server.get(BASE, token=token))


def test_reenabling_a_user_makes_their_unrevoked_tokens_work_again(server, editor):
    uid = editor["user"]["id"]
    assert server.patch(f"/v1/users/{uid}", server.admin_token,
                        json={"disabled": True}).status_code == 200
    assert_401(server.get("/v1/me", token=editor["token"]))
    r = server.patch(f"/v1/users/{uid}", server.admin_token, json={"disabled": False})
    assert r.status_code == 200 and r.json()["disabled"] is False, describe(r)
    assert server.get("/v1/me", token=editor["token"]).status_code == 200


def test_cli_user_disable_stops_tokens_on_the_running_server(server, editor):
    email = editor["user"]["email"]
    p = server.cli("user", "disable", email)
    assert p.returncode == 0, p.stderr
    assert_401(server.refused_after_cache(editor["token"]))
    p = server.cli("user", "enable", email)
    assert p.returncode == 0, p.stderr
    server.after_cache()
    server.assert_token_works(editor["token"])


def test_demoting_an_admin_removes_manage_users_at_once(server):
    admin = server.new_user(admin=True)
    token = server.create_token(admin["email"])
    assert server.get("/v1/users", token=token).status_code == 200
    r = server.patch(f"/v1/users/{admin['id']}", server.admin_token, json={"admin": False})
    assert r.status_code == 200 and r.json()["admin"] is False, describe(r)
    assert_403_scope(server.get("/v1/users", token=token), "manage_users")


def test_promoting_a_user_does_not_widen_an_existing_tokens_scopes(server, editor):
    uid = editor["user"]["id"]
    r = server.patch(f"/v1/users/{uid}", server.admin_token, json={"admin": True})
    assert r.status_code == 200 and r.json()["admin"] is True, describe(r)
    # the token never had manage_users: scopes ∩ permissions still lacks it
    assert_403_scope(server.get("/v1/users", token=editor["token"]), "manage_users")
    # a new token can now be given manage_users
    token = server.create_token(editor["user"]["email"],
                                scopes=["manage_tokens", "manage_users"])
    assert server.get("/v1/users", token=token).status_code == 200


def test_space_admin_manages_members_of_that_space_only(server):
    boss, member = server.new_user(), server.new_user()
    mine, elsewhere, foreign = server.new_space(), server.new_space(), server.new_space()
    server.grant(mine["id"], boss["email"], "admin")
    server.grant(elsewhere["id"], boss["email"], "editor")
    # a space admin adds only people they already share a space with
    shared = server.new_space()
    server.grant(shared["id"], boss["email"], "viewer")
    server.grant(shared["id"], member["email"], "viewer")
    token = server.create_token(boss["email"], scopes=[
        "manage_tokens", "read_content", "write_content", "manage_space"])
    r = server.put(f"/v1/spaces/{mine['id']}/members/{member['email']}", token,
                   json={"role": "viewer"})
    assert r.status_code == 200, describe(r)
    assert r.json() == {"user_id": member["id"], "email": member["email"], "role": "viewer"}
    r = server.put(f"/v1/spaces/{elsewhere['id']}/members/{member['email']}", token,
                   json={"role": "viewer"})
    assert_403_scope(r, "manage_space")
    r = server.put(f"/v1/spaces/{foreign['id']}/members/{member['email']}", token,
                   json={"role": "viewer"})
    assert_error(r, 404, "not_found")
    r = server.delete(f"/v1/spaces/{elsewhere['id']}/members/{boss['email']}", token)
    assert_403_scope(r, "manage_space")
    r = server.delete(f"/v1/spaces/{mine['id']}/members/{member['email']}", token)
    assert r.status_code == 204, describe(r)
    # nothing changed where the user had no right
    r = server.get(f"/v1/spaces/{elsewhere['id']}", server.admin_token)
    assert {m["email"] for m in r.json()["members"]} == {boss["email"]}


def test_space_admin_token_without_manage_space_scope_cannot_manage_members(server):
    boss, member = server.new_user(), server.new_user()
    space = server.new_space()
    server.grant(space["id"], boss["email"], "admin")
    token = server.create_token(boss["email"], scopes=["manage_tokens", "read_content"])
    r = server.put(f"/v1/spaces/{space['id']}/members/{member['email']}", token,
                   json={"role": "viewer"})
    assert_403_scope(r, "manage_space")


def test_non_admin_lists_only_their_spaces_with_their_role(server):
    user = server.new_user()
    a, b = server.new_space(), server.new_space()
    server.new_space()  # a space the user is not in
    server.grant(a["id"], user["email"], "viewer")
    server.grant(b["id"], user["email"], "admin")
    token = server.create_token(user["email"], scopes=["manage_tokens", "read_content"])
    r = server.get("/v1/spaces", token)
    assert r.status_code == 200, describe(r)
    got = {s["id"]: s for s in r.json()["items"]}
    assert set(got) == {a["id"], b["id"]}
    assert got[a["id"]]["role"] == "viewer" and got[b["id"]]["role"] == "admin"
    assert got[a["id"]]["name"] == a["name"]


def test_member_sees_the_space_and_a_non_member_does_not(server):
    user, outsider = server.new_user(), server.new_user()
    space = server.new_space()
    server.grant(space["id"], user["email"], "viewer")
    token = server.create_token(user["email"], scopes=["manage_tokens", "read_content"])
    outsider_token = server.create_token(outsider["email"], scopes=["manage_tokens"])
    r = server.get(f"/v1/spaces/{space['id']}", token)
    assert r.status_code == 200, describe(r)
    assert r.json()["id"] == space["id"]
    assert {m["email"]: m["role"] for m in r.json()["members"]} == {user["email"]: "viewer"}
    r = server.get(f"/v1/spaces/{space['id']}", outsider_token)
    assert r.status_code == 404, describe(r)
    assert space["name"] not in r.text


def test_a_token_without_manage_tokens_still_reads_me_and_spaces(server, editor):
    reader = server.create_pat(editor["token"], scopes=["read_content"])
    r = server.get("/v1/me", token=reader["token"])
    assert r.status_code == 200, describe(r)
    assert r.json()["token"]["scopes"] == ["read_content"]
    r = server.get("/v1/spaces", token=reader["token"])
    assert r.status_code == 200, describe(r)
    assert [s["id"] for s in r.json()["items"]] == [editor["space"]["id"]]
    r = server.get(f"/v1/spaces/{editor['space']['id']}", token=reader["token"])
    assert r.status_code == 200, describe(r)

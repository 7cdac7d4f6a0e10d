# SPDX-License-Identifier: MIT
"""GET /v1/me: the caller, the token used, its effective scopes and spaces."""
from conftest import ADMIN_EMAIL, assert_401, describe, unique


def test_me_describes_the_admin_and_the_token_used(server):
    name = unique("me")
    token = server.create_token(ADMIN_EMAIL, name=name)
    r = server.get("/v1/me", token=token)
    assert r.status_code == 200, describe(r)
    me = r.json()
    user = me["user"]
    assert isinstance(user["id"], int)
    assert user["email"] == ADMIN_EMAIL
    assert isinstance(user["friendly_name"], str)
    assert user["admin"] is True
    t = me["token"]
    assert t["kind"] == "pat" and isinstance(t["id"], int)
    assert t["name"] == name and t["expires_at"] is None
    # no --scopes: every scope the admin holds, which includes the instance-wide ones
    assert {"manage_tokens", "manage_users", "manage_apps"} <= set(t["scopes"])
    assert {"manage_tokens", "manage_users", "manage_apps"} <= set(me["scopes"])
    assert isinstance(me["spaces"], list)
    assert token not in r.text and token[8:] not in r.text


def test_me_scopes_are_the_tokens_scopes_not_all_the_users(server, admin_token):
    pat = server.create_pat(admin_token, scopes=["manage_tokens"])
    me = server.get("/v1/me", token=pat["token"]).json()
    assert me["token"]["scopes"] == ["manage_tokens"]
    assert me["scopes"] == ["manage_tokens"]
    assert me["user"]["admin"] is True


def test_me_lists_the_spaces_with_role_and_permissions(server, admin_token):
    user = server.new_user(name="Member")
    a, b = server.new_space(), server.new_space()
    server.grant(a["id"], user["email"], "viewer")
    server.grant(b["id"], user["email"], "admin")
    token = server.create_token(user["email"], scopes=[
        "manage_tokens", "read_content", "write_content", "manage_space"])
    me = server.get("/v1/me", token=token).json()
    want = {"id": user["id"], "email": user["email"], "friendly_name": "Member",
            "admin": False}
    assert {k: me["user"].get(k) for k in want} == want
    spaces = {s["id"]: s for s in me["spaces"]}
    assert set(spaces) == {a["id"], b["id"]}
    assert spaces[a["id"]]["name"] == a["name"] and spaces[a["id"]]["role"] == "viewer"
    assert set(spaces[a["id"]]["permissions"]) == {"read_content"}
    assert spaces[b["id"]]["role"] == "admin"
    assert set(spaces[b["id"]]["permissions"]) == {"read_content", "write_content",
                                                   "manage_space"}


def test_me_needs_a_token(server):
    assert_401(server.get("/v1/me"), token_presented=False)

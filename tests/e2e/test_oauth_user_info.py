# SPDX-License-Identifier: MIT
"""GET /oauth/user_info in Storyblok's shape, and an OAuth token's rights confined to the one
space the user chose on the consent page, intersected with the user's current role there."""
import pytest

from conftest import assert_401, describe, unique
from oauth_helpers import code_app, grant, member, tokens


@pytest.fixture(scope="module")
def app(server):
    return code_app(server, name="Storyblok-like App")


def test_storyblok_shape(server, app):
    user = member(server, role="editor", name="Ada Lovelace")
    t = tokens(server, app, user)
    r = server.get("/oauth/user_info", token=t["access_token"])
    assert r.status_code == 200, describe(r)
    assert "application/json" in r.headers.get("Content-Type", "")
    info = r.json()
    assert info["user"]["id"] == user["id"]
    assert info["user"]["friendly_name"] == "Ada Lovelace"
    assert info["user"]["email"] == user["email"]
    assert info["space"] == {"id": user["space"]["id"], "name": user["space"]["name"]}
    assert info["roles"] == [{"name": "editor"}]


def test_storyblok_curl_header_form(server, app):
    """curl '.../oauth/user_info' -H 'authorization: Bearer YOURTOKEN' (lower-case name)."""
    user = member(server, role="viewer")
    t = tokens(server, app, user, scope="read_content")
    r = server.get("/oauth/user_info", headers={"authorization": f"Bearer {t['access_token']}"})
    assert r.status_code == 200, describe(r)
    assert r.json()["roles"] == [{"name": "viewer"}]


def test_role_change_is_reflected(server, app):
    user = member(server, role="viewer")
    t = tokens(server, app, user, scope="read_content")
    grant(server, user["space"]["name"], user["email"], "admin")
    server.after_cache()
    r = server.get("/oauth/user_info", token=t["access_token"])
    assert r.status_code == 200, describe(r)
    assert r.json()["roles"] == [{"name": "admin"}], r.text


def test_the_space_chosen_on_the_consent_page_is_the_tokens_space(server, app):
    user = member(server, role="editor", spaces=2)
    second = user["spaces"][1]
    t = tokens(server, app, user, space_id=second["id"])
    assert int(t["space_id"]) == second["id"]
    info = server.get("/oauth/user_info", token=t["access_token"]).json()
    assert info["space"]["id"] == second["id"]


def test_oauth_token_sees_only_its_one_space(server, app):
    user = member(server, role="editor", spaces=3)
    chosen, other = user["spaces"][0], user["spaces"][1]
    t = tokens(server, app, user, space_id=chosen["id"])
    r = server.get("/v1/me", token=t["access_token"])
    assert r.status_code == 200, describe(r)
    spaces = r.json()["spaces"]
    assert [s["id"] for s in spaces] == [chosen["id"]], spaces
    r = server.get(f"/v1/spaces/{other['id']}", token=t["access_token"])
    assert r.status_code == 404, describe(r)
    r = server.get(f"/v1/spaces/{chosen['id']}", token=t["access_token"])
    assert r.status_code == 200, describe(r)
    # a personal token of the same user sees all three
    pat = server.create_token(user["email"], name=unique("pat"))
    ids = {s["id"] for s in server.get("/v1/me", token=pat).json()["spaces"]}
    assert ids == {s["id"] for s in user["spaces"]}


def test_rights_are_token_scopes_intersected_with_the_current_role(server, app):
    user = member(server, role="viewer")
    t = tokens(server, app, user, scope="read_content write_content")
    me = server.get("/v1/me", token=t["access_token"]).json()
    assert me["spaces"][0]["permissions"] == ["read_content"], me
    grant(server, user["space"]["name"], user["email"], "editor")
    server.after_cache()
    r = server.get("/v1/me", token=t["access_token"])
    assert r.status_code == 200, describe(r)
    spaces = r.json()["spaces"]
    assert spaces and set(spaces[0]["permissions"]) == {"read_content", "write_content"}, r.text


def test_personal_token_has_no_space(server):
    user = member(server, role="editor")
    pat = server.create_token(user["email"], name=unique("pat"))
    r = server.get("/oauth/user_info", token=pat)
    assert r.status_code == 200, describe(r)
    info = r.json()
    assert info["user"]["id"] == user["id"]
    assert info["space"] is None
    assert info["roles"] == []


def test_no_token_is_401(server):
    assert_401(server.get("/oauth/user_info"), token_presented=False)
    assert_401(server.get("/oauth/user_info", token="jto_nonsense"))

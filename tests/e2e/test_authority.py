# SPDX-License-Identifier: MIT
"""Authority: every action that yields or widens a secret re-checks the caller's authority.

A rotation is a creation: the caller must hold the rights of the token it gets, and a token
that expires may not mint one that outlives it. OAuth tokens never create or rotate personal
access tokens. Admin accounts are created and changed only by a person holding every admin
scope. A space-bound token reaches only its own space, and a space admin reaches only people
they share a space with, without learning who else exists."""
import datetime as dt

from conftest import (assert_403_scope, assert_error, describe, rfc3339, unique,
                      unique_email)
from oauth_helpers import (Browser, add_space, add_user, client_token, code_app, create_app,
                           find_form, grant, member, page_text, parse_forms, refresh, tokens)

BASE = "/v1/users/me/access_tokens"
EVERY_SPACE_SCOPE = ["read_content", "write_content", "manage_space"]


def _root(server, user):
    """A PAT of user with every scope they hold (made with the CLI)."""
    return server.create_token(user["email"])


def _in(server, days):
    return rfc3339(server.now() + dt.timedelta(days=days))


# --------------------------------------------------------------------------- item 1: rotation

def test_rotation_cannot_widen_scopes(server):
    user = member(server, role="editor")
    root = _root(server, user)
    broad = server.create_pat(root, scopes=["manage_tokens", "read_content", "write_content"])
    narrow = server.create_pat(root, scopes=["manage_tokens"])
    r = server.post(f"{BASE}/{broad['id']}/rotate", narrow["token"])
    assert_403_scope(r, "write_content")
    assert "token" not in r.json(), describe(r)
    # nothing was rotated: the broad token still works and no new token appeared
    assert server.token_works(broad["token"])
    names = [t["name"] for t in server.get(f"{BASE}?limit=100", root).json()["items"]]
    assert names.count(broad["name"]) == 1, names


def test_rotation_by_a_token_holding_the_scopes_still_works(server):
    user = member(server, role="editor")
    root = _root(server, user)
    target = server.create_pat(root, scopes=["read_content"])
    holder = server.create_pat(root, scopes=["manage_tokens", "read_content"])
    r = server.post(f"{BASE}/{target['id']}/rotate", holder["token"])
    assert r.status_code == 201, describe(r)
    assert r.json()["scopes"] == ["read_content"]


def test_expiring_token_cannot_create_a_token_that_outlives_it(server):
    user = member(server, role="editor")
    until = _in(server, 1)
    short = server.create_pat(_root(server, user), scopes=["manage_tokens", "read_content"],
                              expires_at=until)["token"]
    for expires_at in (None, _in(server, 2)):
        r = server.post(BASE, short, json={"name": unique("pat"), "scopes": ["read_content"],
                                           "expires_at": expires_at})
        body = assert_error(r, 403, "forbidden")
        assert until in body["error_description"], describe(r)
    r = server.post(BASE, short, json={"name": unique("pat"), "scopes": ["read_content"]})
    assert_error(r, 403, "forbidden")
    # no later than the caller: allowed
    r = server.post(BASE, short, json={"name": unique("pat"), "scopes": ["read_content"],
                                       "expires_at": until})
    assert r.status_code == 201, describe(r)


def test_expiring_token_cannot_rotate_a_token_that_outlives_it(server):
    user = member(server, role="editor")
    root = _root(server, user)
    forever = server.create_pat(root, scopes=["read_content"])
    short = server.create_pat(root, scopes=["manage_tokens", "read_content"],
                              expires_at=_in(server, 1))
    r = server.post(f"{BASE}/{forever['id']}/rotate", short["token"])
    assert_error(r, 403, "forbidden")
    assert server.token_works(forever["token"])
    # rotating itself keeps its own expiry: allowed
    r = server.post(f"{BASE}/{short['id']}/rotate", short["token"])
    assert r.status_code == 201, describe(r)
    assert r.json()["expires_at"] == short["expires_at"]


def _console(server, user):
    b = Browser(server)
    r = b.login(user["email"], user["password"])
    assert r.status_code == 303, describe(r)
    return b


def test_console_rotation_needs_the_rights_still_held(server):
    user = member(server, role="admin")
    token = server.create_token(user["email"], scopes=["manage_space", "read_content"])
    tid = [t["id"] for t in server.get(BASE, _root(server, user)).json()["items"]
           if t["display_prefix"] == token[:8]][0]
    grant(server, user["space"]["id"], user["email"], "viewer")   # no longer a space admin
    b = _console(server, user)
    path = f"/console/tokens/{tid}/rotate"
    form = find_form(b.get(path), path)
    r = b.post(path, data=dict(form.fields))
    assert r.status_code == 403, describe(r)
    assert "manage_space" in page_text(r.text)
    assert "jtp_" not in r.text
    # not revoked: once the user holds manage_space again, the token acts with it
    grant(server, user["space"]["id"], user["email"], "admin")
    assert server.token_works(token)


# --------------------------------------------------------------------------- item 6: OAuth tokens

def _oauth_token(server, user, scope="read_content manage_tokens"):
    """An access token (and refresh token) of a code-grant app, bound to user's space."""
    app = code_app(server, scopes=["read_content", "manage_tokens"])
    body = tokens(server, app, user, scope=scope)
    return app, body


def test_oauth_token_cannot_create_a_personal_access_token(server):
    user = member(server, role="editor")
    app, body = _oauth_token(server, user)
    again = refresh(server, app, body["refresh_token"])
    assert again.status_code == 200, describe(again)
    names = []
    for access in (body["access_token"], again.json()["access_token"]):
        names.append(unique("pat"))
        r = server.post(BASE, access, json={"name": names[-1], "scopes": ["read_content"]})
        err = assert_error(r, 403, "forbidden")
        assert "personal access token" in err["error_description"], describe(r)
        assert "token" not in r.json()
    listed = {t["name"] for t in server.get(BASE, _root(server, user)).json()["items"]}
    assert not listed & set(names), "a personal access token was created by an OAuth token"


def test_oauth_token_cannot_rotate_a_personal_access_token(server):
    user = member(server, role="editor")
    pat = server.create_pat(_root(server, user), scopes=["read_content"])
    _, body = _oauth_token(server, user)
    r = server.post(f"{BASE}/{pat['id']}/rotate", body["access_token"])
    assert_error(r, 403, "forbidden")
    assert server.token_works(pat["token"])


def test_oauth_token_with_manage_tokens_still_lists_and_revokes(server):
    user = member(server, role="editor")
    pat = server.create_pat(_root(server, user), scopes=["read_content"])
    _, body = _oauth_token(server, user)
    r = server.get(BASE, body["access_token"])
    assert r.status_code == 200, describe(r)
    assert pat["id"] in [t["id"] for t in r.json()["items"]]
    r = server.delete(f"{BASE}/{pat['id']}", body["access_token"])
    assert r.status_code == 204, describe(r)
    assert not server.token_works(pat["token"])


# --------------------------------------------------------------------------- item 3: admins

def _partial_admin_token(server, scopes=("manage_tokens", "manage_users")):
    """A PAT of an instance admin lacking some admin scope."""
    admin = add_user(server, admin=True)
    return server.create_token(admin["email"], scopes=list(scopes))


def _email_is_free(server, email):
    r = server.post("/v1/users", server.admin_token, json={"email": email})
    return r.status_code == 201


def test_manage_users_alone_cannot_create_an_admin(server):
    token = _partial_admin_token(server)
    email = unique_email()
    r = server.post("/v1/users", token, json={"email": email, "admin": True})
    err = assert_error(r, 403, "forbidden")
    assert "manage_apps" in err["error_description"], describe(r)
    assert _email_is_free(server, email), "the admin was created anyway"
    # a plain user it may still create
    r = server.post("/v1/users", token, json={"email": unique_email()})
    assert r.status_code == 201, describe(r)


def test_client_credentials_token_cannot_create_or_promote_an_admin(server):
    app = create_app(server, grants=["client_credentials"], scopes=["manage_users"])
    r = client_token(server, app)
    assert r.status_code == 200, describe(r)
    token = r.json()["access_token"]
    email = unique_email()
    r = server.post("/v1/users", token, json={"email": email, "admin": True})
    assert_error(r, 403, "forbidden")
    assert _email_is_free(server, email)
    plain = server.new_user()
    r = server.patch(f"/v1/users/{plain['id']}", token, json={"admin": True})
    assert_error(r, 403, "forbidden")
    assert server.get(f"/v1/users/{plain['id']}", server.admin_token).json()["admin"] is False


def test_an_admins_oauth_token_cannot_create_an_admin(server):
    admin = add_user(server, admin=True)
    space = add_space(server)
    grant(server, space["id"], admin["email"], "viewer")
    admin["space"] = space
    app = code_app(server, scopes=["manage_tokens", "manage_users", "manage_apps"])
    body = tokens(server, app, admin, scope="manage_tokens manage_users manage_apps")
    email = unique_email()
    r = server.post("/v1/users", body["access_token"], json={"email": email, "admin": True})
    assert_error(r, 403, "forbidden")
    assert _email_is_free(server, email)


def test_only_a_full_admin_changes_an_admin_account(server):
    target = server.new_user(admin=True)
    token = _partial_admin_token(server)
    for change in ({"admin": False}, {"disabled": True}, {"name": "Taken Over"}):
        r = server.patch(f"/v1/users/{target['id']}", token, json=change)
        assert_error(r, 403, "forbidden")
    now = server.get(f"/v1/users/{target['id']}", server.admin_token).json()
    assert (now["admin"], now["disabled"], now["friendly_name"]) == \
        (True, False, target["friendly_name"]), now
    # the admin's own full token may
    r = server.patch(f"/v1/users/{target['id']}", server.admin_token, json={"disabled": True})
    assert r.status_code == 200 and r.json()["disabled"] is True, describe(r)


# --------------------------------------------------------------------------- item 12: members

def _space_admin(server):
    """A user who is admin of one space, with a token holding manage_space."""
    boss = member(server, role="admin")
    boss["token"] = server.create_token(boss["email"], scopes=["manage_tokens", "read_content",
                                                               "manage_space"])
    return boss


def test_space_admin_cannot_add_a_user_who_shares_no_space(server):
    boss = _space_admin(server)
    stranger = add_user(server)
    sid = boss["space"]["id"]
    unknown = 10 ** 9
    answers = {}
    for key in (stranger["id"], stranger["email"], unknown, unique_email()):
        r = server.put(f"/v1/spaces/{sid}/members/{key}", boss["token"], json={"role": "viewer"})
        assert_error(r, 404, "not_found")
        assert stranger["email"] not in r.text
        answers[key] = r.json()
    # the same answer whether the user exists or not
    assert answers[stranger["id"]] == answers[unknown]
    assert answers[stranger["email"]] == answers[unknown]
    members = server.get(f"/v1/spaces/{sid}", server.admin_token).json()["members"]
    assert stranger["email"] not in {m["email"] for m in members}
    r = server.delete(f"/v1/spaces/{sid}/members/{stranger['id']}", boss["token"])
    assert r.status_code == 404 and r.json() == answers[unknown], describe(r)


def test_space_admin_adds_a_user_they_share_a_space_with(server):
    boss = _space_admin(server)
    colleague = add_user(server)
    other = add_space(server)
    grant(server, other["id"], boss["email"], "viewer")
    grant(server, other["id"], colleague["email"], "viewer")
    r = server.put(f"/v1/spaces/{boss['space']['id']}/members/{colleague['id']}", boss["token"],
                   json={"role": "editor"})
    assert r.status_code == 200, describe(r)
    assert r.json()["email"] == colleague["email"]


def test_console_space_admin_cannot_add_a_stranger(server):
    boss = _space_admin(server)
    stranger = add_user(server)
    b = _console(server, boss)
    path = f"/console/spaces/{boss['space']['id']}/members"
    page = b.get(f"/console/spaces/{boss['space']['id']}")
    form = [f for f in parse_forms(page.text)
            if f.action == path and f.fields.get("email") == ""][0]   # "Add member"
    said = []
    for email in (stranger["email"], unique_email()):
        data = dict(form.fields, email=email, role="viewer")
        r = b.post(path, data=data)
        assert r.status_code == 400, describe(r)
        said.append(page_text(r.text).replace(email, "EMAIL"))
    assert said[0] == said[1], "the answer tells an existing email from an unknown one"
    members = server.get(f"/v1/spaces/{boss['space']['id']}", server.admin_token).json()
    assert stranger["email"] not in {m["email"] for m in members["members"]}


# --------------------------------------------------------------------------- items 15, 16: spaces

def _two_space_user(server, admin=False):
    user = add_user(server, admin=admin)
    user["spaces"] = [add_space(server), add_space(server)]
    for s in user["spaces"]:
        grant(server, s["id"], user["email"], "editor")
    user["space"] = user["spaces"][0]
    return user


def test_forward_auth_refuses_a_space_bound_token_for_another_space(server):
    user = _two_space_user(server)
    _, body = _oauth_token(server, user, scope="read_content")
    token = body["access_token"]
    own, other = (s["id"] for s in user["spaces"])
    assert server.get(f"/auth/verify?space={own}", token).status_code == 200
    assert_error(server.get(f"/auth/verify?space={other}", token), 403, "forbidden")
    assert_error(server.get(f"/auth/verify?space={other}&scope=read_content", token), 403,
                 "forbidden")


def test_forward_auth_refuses_a_token_for_a_space_its_user_is_not_in(server):
    user = member(server, role="editor")
    foreign = add_space(server)
    pat = _root(server, user)
    assert server.get(f"/auth/verify?space={user['space']['id']}", pat).status_code == 200
    assert_error(server.get(f"/auth/verify?space={foreign['id']}", pat), 403, "forbidden")


def test_space_bound_token_sees_only_its_own_space(server):
    for admin in (False, True):
        user = _two_space_user(server, admin=admin)
        app = code_app(server, scopes=["read_content", "manage_users"])
        scope = "read_content manage_users" if admin else "read_content"
        token = tokens(server, app, user, scope=scope)["access_token"]
        own, other = (s["id"] for s in user["spaces"])
        r = server.get("/v1/spaces", token)
        assert r.status_code == 200, describe(r)
        assert [s["id"] for s in r.json()["items"]] == [own], (admin, r.json())
        assert server.get(f"/v1/spaces/{own}", token).status_code == 200
        assert_error(server.get(f"/v1/spaces/{other}", token), 404, "not_found")

# SPDX-License-Identifier: MIT
"""An app's secret is handed on only by who holds the app's scopes.

Registering an app, widening one (a scope added, or client_credentials added) and making it a
new secret need a person (a personal access token or the console, never an OAuth token) who
holds every scope handed on: otherwise manage_apps alone would register a client-credentials
app with manage_users, take its secret and act as an instance admin. manage_users counts as
every space scope (it gives any role in any space), so an admin's full token registers any
app."""
from conftest import assert_403_scope, assert_error, describe, unique
from oauth_helpers import (Browser, add_space, add_user, admin_browser, assert_oauth_error,
                           client_token, code_app, create_app, find_form, grant, page_text, tokens)


def _apps_only_token(server, scopes=("manage_apps",)):
    """A PAT of an instance admin that carries manage_apps but not manage_users."""
    admin = add_user(server, admin=True)
    return server.create_token(admin["email"], scopes=list(scopes))


def _app_names(server):
    r = server.get("/v1/apps?limit=100", server.admin_token)
    assert r.status_code == 200, describe(r)
    return {a["name"] for a in r.json()["items"]}


def _app(server, app_id):
    r = server.get(f"/v1/apps/{app_id}", server.admin_token)
    assert r.status_code == 200, describe(r)
    return r.json()


def test_manage_apps_alone_cannot_register_an_app_wider_than_itself(server):
    token = _apps_only_token(server)
    for scopes, missing in ((["manage_users"], "manage_users"),
                            (["read_content", "manage_users"], "manage_users"),
                            (["read_content"], "read_content")):
        name = unique("wide")
        r = server.post("/v1/apps", token, json={"name": name, "grants": ["client_credentials"],
                                                 "scopes": scopes})
        assert_403_scope(r, missing)
        assert "client_secret" not in r.json(), describe(r)
        assert name not in _app_names(server), "the app was registered anyway"


def test_a_token_registers_an_app_with_the_scopes_it_holds(server):
    admin = add_user(server, admin=True)
    grant(server, add_space(server)["id"], admin["email"], "editor")
    token = server.create_token(admin["email"], scopes=["manage_apps", "read_content"])
    r = server.post("/v1/apps", token, json={"name": unique("held"), "scopes": ["read_content"]})
    assert r.status_code == 201, describe(r)
    assert client_token(server, r.json()).status_code == 200


def test_manage_apps_alone_cannot_widen_an_app(server):
    token = _apps_only_token(server)
    narrow = create_app(server, grants=["client_credentials"], scopes=["manage_apps"])
    r = server.patch(f"/v1/apps/{narrow['id']}", token,
                     json={"scopes": ["manage_apps", "manage_users"]})
    assert_403_scope(r, "manage_users")
    assert _app(server, narrow["id"])["scopes"] == ["manage_apps"]
    assert_oauth_error(client_token(server, narrow, scope="manage_users"), 400, "invalid_scope")


def test_adding_client_credentials_needs_the_apps_scopes(server):
    """A code app may ask users for manage_users; acting as itself with it is a widening."""
    token = _apps_only_token(server)
    coded = code_app(server, scopes=["manage_users"])
    r = server.patch(f"/v1/apps/{coded['id']}", token,
                     json={"grants": ["authorization_code", "refresh_token",
                                      "client_credentials"]})
    assert_403_scope(r, "manage_users")
    assert "client_credentials" not in _app(server, coded["id"])["grants"]
    assert_oauth_error(client_token(server, coded), 400, "unauthorized_client")


def test_manage_apps_alone_still_narrows_and_renames_an_app(server):
    token = _apps_only_token(server)
    app = create_app(server, grants=["client_credentials"],
                     scopes=["read_content", "manage_users"])
    r = server.patch(f"/v1/apps/{app['id']}", token,
                     json={"name": unique("renamed"), "scopes": ["read_content"]})
    assert r.status_code == 200, describe(r)
    assert r.json()["scopes"] == ["read_content"]


def test_secret_rotation_needs_the_apps_scopes(server):
    token = _apps_only_token(server)
    app = create_app(server, grants=["client_credentials"], scopes=["manage_users"])
    r = server.post(f"/v1/apps/{app['id']}/secret", token)
    assert_403_scope(r, "manage_users")
    assert "client_secret" not in r.json(), describe(r)
    assert client_token(server, app).status_code == 200   # the secret is unchanged
    # the admin's full token may
    r = server.post(f"/v1/apps/{app['id']}/secret", server.admin_token)
    assert r.status_code == 200 and r.json()["client_secret"], describe(r)


def _admins_oauth_token(server):
    """An instance admin's access token from the code grant, with every admin scope."""
    admin = add_user(server, admin=True)
    admin["space"] = add_space(server)
    grant(server, admin["space"]["id"], admin["email"], "viewer")
    scopes = ["manage_tokens", "manage_users", "manage_apps"]
    app = code_app(server, scopes=scopes)
    return tokens(server, app, admin, scope=" ".join(scopes))["access_token"]


def test_oauth_token_cannot_register_an_app(server):
    client = create_app(server, grants=["client_credentials"],
                        scopes=["manage_apps", "manage_users"])
    r = client_token(server, client)
    assert r.status_code == 200, describe(r)
    target = create_app(server, grants=["client_credentials"], scopes=["read_content"])
    for token in (_admins_oauth_token(server), r.json()["access_token"]):
        name = unique("by-oauth")
        r = server.post("/v1/apps", token, json={"name": name, "scopes": ["read_content"]})
        assert_error(r, 403, "forbidden")
        assert "client_secret" not in r.json(), describe(r)
        assert name not in _app_names(server)
        r = server.post(f"/v1/apps/{target['id']}/secret", token)
        assert_error(r, 403, "forbidden")
        r = server.patch(f"/v1/apps/{target['id']}", token,
                         json={"scopes": ["read_content", "write_content"]})
        assert_error(r, 403, "forbidden")
        # reading apps is no secret: still allowed
        assert server.get("/v1/apps", token).status_code == 200
    assert client_token(server, target).status_code == 200
    assert _app(server, target["id"])["scopes"] == ["read_content"]


def test_an_admins_full_token_registers_widens_and_rotates_any_app(server):
    app = create_app(server, grants=["client_credentials"],
                     scopes=["read_content", "manage_users"])
    r = client_token(server, app)
    assert r.status_code == 200, describe(r)
    assert set(r.json()["scope"].split()) == {"read_content", "manage_users"}
    r = server.patch(f"/v1/apps/{app['id']}", server.admin_token,
                     json={"scopes": ["read_content", "manage_users", "manage_apps"]})
    assert r.status_code == 200, describe(r)
    r = server.post(f"/v1/apps/{app['id']}/secret", server.admin_token)
    assert r.status_code == 200, describe(r)


def test_console_admin_registers_a_client_app_with_every_admin_scope(server):
    """The console's session holds its user's rights: an admin's holds every scope (a
    non-admin never reaches the apps pages), so the same rule lets the form through."""
    b = admin_browser(server)
    form = find_form(b.get("/console/apps/new"), "/console/apps/new")
    data = {k: v for k, v in form.fields.items()
            if not k.startswith(("grant_", "scope_"))}
    name = unique("console-wide")
    data.update(name=name, type="confidential", token_format="opaque", redirect_uris="",
                grant_client_credentials="1", scope_manage_users="1", scope_manage_apps="1",
                scope_read_content="1")
    r = b.post("/console/apps/new", data=data)
    assert r.status_code == 200, describe(r)         # the secret page
    assert "jts_" in r.text
    app = next(a for a in server.get("/v1/apps?limit=100", server.admin_token).json()["items"]
               if a["name"] == name)
    assert set(app["scopes"]) == {"read_content", "manage_users", "manage_apps"}
    path = f"/console/apps/{app['id']}/secret"
    r = b.post(path, data=dict(find_form(b.get(path), path).fields))
    assert r.status_code == 200 and "jts_" in r.text, describe(r)


def test_console_apps_pages_refuse_a_non_admin(server):
    user = add_user(server)
    b = Browser(server)
    assert b.login(user["email"], user["password"]).status_code == 303
    app = create_app(server, grants=["client_credentials"], scopes=["read_content"])
    for path in ("/console/apps/new", f"/console/apps/{app['id']}/secret"):
        page = b.get(path)
        assert page.status_code == 403, describe(page)
        assert "administrators" in page_text(page.text)

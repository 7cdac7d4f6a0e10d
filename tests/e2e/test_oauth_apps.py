# SPDX-License-Identifier: MIT
"""OAuth apps over /v1/apps and `jeton app create`: the secret shown once, validation, PATCH,
DELETE (the app's tokens die with it), secret rotation, admins only."""
import json

import pytest

from conftest import (TIME_RE, assert_403_scope, assert_error, cli_ok, describe, poll, unique)
from oauth_helpers import (REDIRECT, assert_oauth_error, assert_token, client_token, create_app,
                           refused_after_cache)

APP_FIELDS = {"id", "client_id", "name", "type", "redirect_uris", "grants", "scopes",
              "access_ttl", "refresh_ttl", "rotate_refresh", "token_format", "allow_pkce_plain",
              "introspect", "created_at"}


def _list_apps(server, token):
    r = server.get("/v1/apps", token)
    assert r.status_code == 200, describe(r)
    body = r.json()
    return r, (body["items"] if isinstance(body, dict) else body)


@pytest.fixture(scope="module")
def user_token(server):
    """A non-admin user's token with every scope they hold."""
    user = server.new_user(name="Not An Admin")
    return server.create_token(user["email"], name="plain-user")


# --------------------------------------------------------------------------- create

def test_create_confidential_app_returns_201_and_the_secret(server, admin_token):
    r = server.post("/v1/apps", admin_token,
                    json={"name": "My App", "redirect_uris": ["https://app.example.com/callback"]})
    assert r.status_code == 201, describe(r)
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers
    app = r.json()
    assert APP_FIELDS <= set(app), app
    assert isinstance(app["id"], int)
    assert isinstance(app["client_id"], str) and len(app["client_id"]) >= 16
    assert app["name"] == "My App"
    assert app["type"] == "confidential"
    assert app["redirect_uris"] == ["https://app.example.com/callback"]
    assert_token(app["client_secret"], "jts_")
    assert TIME_RE.match(app["created_at"]), app


def test_defaults_with_redirect_uris_are_the_code_and_refresh_grants(server):
    app = create_app(server, redirect_uris=[REDIRECT])
    assert set(app["grants"]) == {"authorization_code", "refresh_token"}
    assert app["scopes"] == ["read_content"]
    assert app["access_ttl"] == 900
    assert app["refresh_ttl"] == 30 * 86400
    assert app["rotate_refresh"] is True
    assert app["allow_pkce_plain"] is False     # S256 only unless registered for plain
    assert app["introspect"] is False           # its own tokens only


def test_default_without_redirect_uris_is_client_credentials(server):
    app = create_app(server)
    assert app["grants"] == ["client_credentials"]
    assert app["redirect_uris"] == []
    assert_token(app["client_secret"], "jts_")


def test_public_app_has_no_secret(server):
    app = create_app(server, public=True, redirect_uris=[REDIRECT])
    assert app["type"] == "public"
    assert "client_secret" not in app or app["client_secret"] in (None, ""), app


def test_two_apps_get_different_client_ids_and_secrets(server):
    a, b = create_app(server), create_app(server)
    assert a["client_id"] != b["client_id"]
    assert a["client_secret"] != b["client_secret"]


def test_get_and_list_never_show_the_secret(server, admin_token):
    app = create_app(server, redirect_uris=[REDIRECT])
    secret = app["client_secret"]
    r = server.get(f"/v1/apps/{app['id']}", admin_token)
    assert r.status_code == 200, describe(r)
    assert "client_secret" not in r.json()
    assert secret not in r.text and secret[4:] not in r.text
    assert r.json() == {k: v for k, v in app.items() if k != "client_secret"}
    r, items = _list_apps(server, admin_token)
    assert secret[4:] not in r.text
    assert all("client_secret" not in item for item in items)
    assert app["client_id"] in [item["client_id"] for item in items]


@pytest.mark.parametrize("uri", [
    "https://app.example.com/callback",
    "https://app.example.com:8443/cb?tenant=1",
    "http://localhost:8080/cb",
    "http://127.0.0.1/cb",
    "http://[::1]:3000/cb",
    "com.example.app:/cb",
])
def test_allowed_redirect_uris_are_accepted(server, uri):
    app = create_app(server, redirect_uris=[uri])
    assert app["redirect_uris"] == [uri]


@pytest.mark.parametrize("uri", [
    "http://app.example.com/cb",            # http on a host that is not loopback
    "http://10.0.0.1/cb",
    "https://app.example.com/cb#fragment",  # fragment
    "https://*.example.com/cb",             # wildcards
    "https://app.example.com/*",
    "/relative/callback",                   # not absolute
    "",
])
def test_bad_redirect_uris_are_refused(server, admin_token, uri):
    r = server.post("/v1/apps", admin_token, json={"name": unique("bad"), "redirect_uris": [uri]})
    assert_error(r, 400, "invalid_request")


def test_code_grant_without_redirect_uri_is_refused(server, admin_token):
    r = server.post("/v1/apps", admin_token,
                    json={"name": unique("nouri"), "grants": ["authorization_code"]})
    assert_error(r, 400, "invalid_request")


def test_refresh_grant_without_code_grant_is_refused(server, admin_token):
    r = server.post("/v1/apps", admin_token,
                    json={"name": unique("refresh-only"),
                          "grants": ["client_credentials", "refresh_token"]})
    assert_error(r, 400, "invalid_request")


def test_public_app_cannot_have_client_credentials(server, admin_token):
    r = server.post("/v1/apps", admin_token,
                    json={"name": unique("pub"), "public": True, "redirect_uris": [REDIRECT],
                          "grants": ["authorization_code", "client_credentials"]})
    assert_error(r, 400, "invalid_request")
    r = server.post("/v1/apps", admin_token, json={"name": unique("pub"), "public": True})
    assert r.status_code == 400, describe(r)


def test_unknown_scope_is_refused(server, admin_token):
    r = server.post("/v1/apps", admin_token, json={"name": unique("s"), "scopes": ["no_such"]})
    body = assert_error(r, 400)
    assert body["error"] in ("invalid_request", "invalid_scope"), body


def test_unknown_grant_is_refused(server, admin_token):
    r = server.post("/v1/apps", admin_token, json={"name": unique("g"), "grants": ["password"]})
    assert_error(r, 400, "invalid_request")


@pytest.mark.parametrize("field,value,ok", [
    ("access_ttl", 59, False),
    ("access_ttl", 60, True),
    ("access_ttl", 90 * 86400, True),
    ("access_ttl", 90 * 86400 + 1, False),
    ("access_ttl", 0, False),
    ("access_ttl", "900", False),
    ("refresh_ttl", 0, True),
    ("refresh_ttl", -1, False),
    ("refresh_ttl", 1.5, False),
])
def test_ttl_ranges(server, admin_token, field, value, ok):
    r = server.post("/v1/apps", admin_token,
                    json={"name": unique("ttl"), "redirect_uris": [REDIRECT], field: value})
    if ok:
        assert r.status_code == 201, describe(r)
        assert r.json()[field] == value
    else:
        assert_error(r, 400, "invalid_request")


def test_missing_name_is_refused(server, admin_token):
    r = server.post("/v1/apps", admin_token, json={"redirect_uris": [REDIRECT]})
    assert_error(r, 400, "invalid_request")


# --------------------------------------------------------------------------- PATCH

def test_patch_changes_the_given_fields_only(server, admin_token):
    app = create_app(server, redirect_uris=[REDIRECT], scopes=["read_content"])
    r = server.patch(f"/v1/apps/{app['id']}", admin_token,
                     json={"name": "Renamed", "scopes": ["read_content", "write_content"],
                           "access_ttl": 120, "redirect_uris": [REDIRECT, "https://x.example/cb"],
                           "rotate_refresh": False})
    assert r.status_code == 200, describe(r)
    patched = r.json()
    assert "client_secret" not in patched
    assert patched["name"] == "Renamed"
    assert set(patched["scopes"]) == {"read_content", "write_content"}
    assert patched["access_ttl"] == 120
    assert patched["redirect_uris"] == [REDIRECT, "https://x.example/cb"]
    assert patched["rotate_refresh"] is False
    for same in ("id", "client_id", "type", "grants", "refresh_ttl", "created_at"):
        assert patched[same] == app[same], same
    r = server.get(f"/v1/apps/{app['id']}", admin_token)
    assert r.json() == patched


def test_patch_with_a_bad_value_changes_nothing(server, admin_token):
    app = create_app(server, redirect_uris=[REDIRECT])
    r = server.patch(f"/v1/apps/{app['id']}", admin_token,
                     json={"name": "Should Not Stick", "redirect_uris": ["http://evil.example/cb"]})
    assert_error(r, 400, "invalid_request")
    r = server.get(f"/v1/apps/{app['id']}", admin_token)
    assert r.json()["name"] == app["name"]
    assert r.json()["redirect_uris"] == [REDIRECT]
    r = server.patch(f"/v1/apps/{app['id']}", admin_token, json={"access_ttl": 10})
    assert_error(r, 400, "invalid_request")


def test_patch_cannot_make_an_app_public(server, admin_token):
    app = create_app(server)
    server.patch(f"/v1/apps/{app['id']}", admin_token, json={"public": True})
    r = server.get(f"/v1/apps/{app['id']}", admin_token)
    assert r.json()["type"] == "confidential"
    # and its secret still works
    r = client_token(server, app)
    assert r.status_code == 200, describe(r)


def test_patch_unknown_app_is_404(server, admin_token):
    r = server.patch("/v1/apps/999999", admin_token, json={"name": "x"})
    assert_error(r, 404, "not_found")


# --------------------------------------------------------------------------- DELETE

def test_delete_removes_the_app_and_its_tokens(server, admin_token):
    app = create_app(server)
    r = client_token(server, app)
    assert r.status_code == 200, describe(r)
    token = r.json()["access_token"]
    assert server.token_works(token)
    r = server.delete(f"/v1/apps/{app['id']}", admin_token)
    assert r.status_code == 204, describe(r)
    assert refused_after_cache(server, token), "a token of a deleted app still works"
    assert_error(server.get(f"/v1/apps/{app['id']}", admin_token), 404, "not_found")
    _, items = _list_apps(server, admin_token)
    assert app["client_id"] not in [item["client_id"] for item in items]
    assert_oauth_error(client_token(server, app), 401, "invalid_client")


def test_delete_unknown_app_is_404(server, admin_token):
    r = server.delete("/v1/apps/999999", admin_token)
    assert_error(r, 404, "not_found")


# --------------------------------------------------------------------------- secret rotation

def test_rotating_the_secret_refuses_the_old_one_and_accepts_the_new(server, admin_token):
    app = create_app(server)
    old = app["client_secret"]
    assert client_token(server, app).status_code == 200
    r = server.post(f"/v1/apps/{app['id']}/secret", admin_token)
    assert r.status_code == 200, describe(r)
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers
    rotated = r.json()
    new = rotated["client_secret"]
    assert_token(new, "jts_")
    assert new != old
    assert rotated["client_id"] == app["client_id"]
    assert_oauth_error(client_token(server, app), 401, "invalid_client")
    assert_oauth_error(client_token(server, app, auth="post"), 401, "invalid_client")
    r = client_token(server, dict(app, client_secret=new))
    assert r.status_code == 200, describe(r)
    r = server.get(f"/v1/apps/{app['id']}", admin_token)
    assert new[4:] not in r.text


def test_rotating_the_secret_of_a_public_app_is_a_conflict(server, admin_token):
    app = create_app(server, public=True, redirect_uris=[REDIRECT])
    r = server.post(f"/v1/apps/{app['id']}/secret", admin_token)
    assert_error(r, 409, "conflict")


def test_audit_records_app_changes_without_secrets(server, admin_token):
    app = create_app(server, name=unique("audited"))
    r = server.post(f"/v1/apps/{app['id']}/secret", admin_token)
    new = r.json()["client_secret"]

    def events():
        r = server.get("/v1/audit?action=app&limit=100", admin_token)
        assert r.status_code == 200, describe(r)
        actions = {e["action"] for e in r.json()["items"]
                   if app["client_id"] in e.get("target", "") or app["name"] in e.get("target", "")}
        return r if {"app.created", "app.secret_rotated"} <= actions else None
    r = poll(events)    # the audit log may be written a moment after the response
    assert r is not None, server.get("/v1/audit?action=app&limit=5", admin_token).text
    assert app["client_secret"][4:] not in r.text and new[4:] not in r.text


# --------------------------------------------------------------------------- admins only

def test_non_admins_get_403(server, user_token):
    assert_403_scope(server.get("/v1/apps", user_token), "manage_apps")
    assert_403_scope(server.post("/v1/apps", user_token, json={"name": "x"}), "manage_apps")
    app = create_app(server)
    assert_403_scope(server.get(f"/v1/apps/{app['id']}", user_token), "manage_apps")
    assert_403_scope(server.patch(f"/v1/apps/{app['id']}", user_token, json={"name": "y"}),
                     "manage_apps")
    assert_403_scope(server.post(f"/v1/apps/{app['id']}/secret", user_token), "manage_apps")
    assert_403_scope(server.delete(f"/v1/apps/{app['id']}", user_token), "manage_apps")
    assert client_token(server, app).status_code == 200   # untouched


def test_admin_token_without_manage_apps_gets_403(server):
    token = server.create_token("admin@localhost", name=unique("no-apps"),
                                scopes=["manage_users", "manage_tokens"])
    assert_403_scope(server.get("/v1/apps", token), "manage_apps")


def test_no_token_gets_401(server):
    r = server.get("/v1/apps")
    assert_error(r, 401, "invalid_token")


# --------------------------------------------------------------------------- CLI

def test_cli_app_create_json_prints_client_id_and_secret(server, admin_token):
    name = unique("cli-app")
    p = cli_ok(server.cli("app", "create", "--name", name, "--redirect-uri", REDIRECT,
                          "--scopes", "read_content write_content", "--json"))
    app = json.loads(p.stdout)
    assert app["name"] == name
    assert_token(app["client_secret"], "jts_")
    assert app["redirect_uris"] == [REDIRECT]
    assert set(app["scopes"]) == {"read_content", "write_content"}
    r = server.get(f"/v1/apps/{app['id']}", admin_token)
    assert r.status_code == 200, describe(r)
    assert r.json()["client_id"] == app["client_id"]
    assert app["client_secret"][4:] not in r.text


def test_cli_app_create_prints_lines_and_the_secret_works(server):
    p = cli_ok(server.cli("app", "create", "--name", unique("cli-plain")))
    lines = dict(line.split(":", 1) for line in p.stdout.strip().splitlines() if ":" in line)
    client_id, secret = lines["client_id"].strip(), lines["client_secret"].strip()
    assert_token(secret, "jts_")
    app = {"client_id": client_id, "client_secret": secret}
    # the server may take up to a second to see what the CLI wrote
    found = poll(lambda: [r for r in [client_token(server, app)] if r.status_code == 200])
    assert found, describe(client_token(server, app))
    r = found[0]
    assert_token(r.json()["access_token"], "jtc_")


def test_cli_app_create_sets_the_pkce_plain_and_introspect_flags(server, admin_token):
    p = cli_ok(server.cli("app", "create", "--name", unique("cli-flags"), "--redirect-uri",
                          REDIRECT, "--allow-pkce-plain", "--introspect", "--json"))
    app = json.loads(p.stdout)
    assert app["allow_pkce_plain"] is True and app["introspect"] is True, app
    plain = json.loads(cli_ok(server.cli("app", "create", "--name", unique("cli-noflags"),
                                         "--json")).stdout)
    assert plain["allow_pkce_plain"] is False and plain["introspect"] is False, plain


def test_cli_refuses_introspect_for_a_public_app(server):
    p = server.cli("app", "create", "--name", unique("cli-pub"), "--public", "--redirect-uri",
                   REDIRECT, "--introspect")
    assert p.returncode != 0, p.stdout
    assert "introspect" in p.stderr, p.stderr


# --------------------------------------------------------------------------- console

def test_console_new_app_form_sets_and_shows_the_flags(server, admin_token):
    from oauth_helpers import admin_browser, find_form, page_text
    b = admin_browser(server)
    page = b.get("/console/apps/new")
    form = find_form(page, "/console/apps/new")
    assert "allow_pkce_plain" in form.fields and "introspect" in form.fields, form
    data = {k: v for k, v in form.fields.items()
            if k not in ("allow_pkce_plain", "introspect", "grant_client_credentials")}
    name = unique("console-flags")
    data.update(name=name, type="confidential", token_format="opaque", redirect_uris=REDIRECT,
                grant_authorization_code="1", grant_refresh_token="1",
                allow_pkce_plain="1", introspect="1")
    r = b.post("/console/apps/new", data=data)
    assert r.status_code == 200, describe(r)         # the secret page
    apps = server.get("/v1/apps?limit=100", admin_token).json()["items"]
    app = next(a for a in apps if a["name"] == name)
    assert app["allow_pkce_plain"] is True and app["introspect"] is True, app
    text = page_text(b.get(f"/console/apps/{app['id']}").text)
    assert "S256 or plain" in text and "any token (resource server)" in text, text


def test_console_new_app_form_sets_the_refresh_grace(server, admin_token):
    from oauth_helpers import admin_browser, find_form, page_text
    b = admin_browser(server)
    page = b.get("/console/apps/new")
    form = find_form(page, "/console/apps/new")
    assert form.fields.get("refresh_grace") == "30", form        # the default, shown
    name = unique("console-grace")
    data = dict(form.fields, name=name, type="confidential", token_format="opaque",
                redirect_uris=REDIRECT, grant_authorization_code="1", grant_refresh_token="1",
                refresh_grace="120")
    assert b.post("/console/apps/new", data=data).status_code == 200
    apps = server.get("/v1/apps?limit=100", admin_token).json()["items"]
    app = next(a for a in apps if a["name"] == name)
    assert app["refresh_grace"] == 120, app
    text = page_text(b.get(f"/console/apps/{app['id']}").text)
    assert "the same successor for a repeat within 120 s" in text, text
    data.update(name=unique("console-grace"), refresh_grace="301")
    r = b.post("/console/apps/new", data=data)
    assert r.status_code == 400, describe(r)
    assert "refresh_grace must be 0 to 300 seconds" in page_text(r.text)

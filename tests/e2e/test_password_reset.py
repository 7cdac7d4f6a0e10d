# SPDX-License-Identifier: MIT
"""Password reset (docs/cli.md, docs/api.md, docs/console.md): `jeton user reset-password EMAIL`,
the console's "Reset password" and POST /v1/users/{id}/password_reset give a one-time password
that must be changed at the next sign-in before anything else, sign out every session of the
user, are audited, and leave the user's tokens valid unless asked to revoke them. A new user's
password is one-time in the same way: a generated one always (the console's Users page,
`jeton user add`, POST /v1/users), one an admin chose unless kept on purpose
(`--permanent-password`, "must_change_password": false)."""
import urllib.parse

import re

from conftest import ADMIN_EMAIL, Server, assert_error, describe, poll, unique_email
from oauth_helpers import PASSWORD, Browser, add_user, find_form, page_text

NEW_PASSWORD = "Another-Staple-77-horse"


def _signed_in(server, email, password, next_path="/console/account"):
    b = Browser(server)
    r = b.login(email, password, next_path)
    assert r.status_code == 303, describe(r)
    return b


def _path(resp):
    return urllib.parse.urlsplit(resp.headers.get("Location", "")).path


def _change(b, current, new=NEW_PASSWORD):
    form = find_form(b.get("/console/account"), "/console/account")
    return b.post(form.action, data=dict(form.fields, current=current, password=new, confirm=new))


def _cli_reset(server, email, *extra):
    p = server.cli("user", "reset-password", email, *extra)
    assert p.returncode == 0, p.stderr
    password = p.stdout.strip()
    assert len(password) >= 12 and "\n" not in password, p.stdout
    return password, p.stderr


def _audited(server, action, target_fragment):
    return poll(lambda: [e for e in server.audit_events(action) if target_fragment in e["target"]])


def test_cli_reset_gives_a_one_time_password_that_must_be_changed_first(server):
    user = add_user(server)
    password, note = _cli_reset(server, user["email"])
    assert "must change" in note and "tokens stay valid" in note, note
    # the old password no longer opens a session
    assert Browser(server).login(user["email"], PASSWORD).status_code == 401
    b = Browser(server)
    r = b.login(user["email"], password, "/console/tokens")
    assert r.status_code == 303 and _path(r) == "/console/account", describe(r)
    # every console page but the Account page sends them to change it
    for path in ("/console/tokens", "/console/spaces", "/console/authorizations"):
        r = b.get(path)
        assert r.status_code == 303 and _path(r) == "/console/account", describe(r)
    page = b.get("/console/account")
    assert page.status_code == 200 and "one-time password" in page_text(page.text), describe(page)
    r = _change(b, password)
    assert r.status_code == 200, describe(r)
    assert b.get("/console/tokens").status_code == 200, "still sent to the Account page"
    assert Browser(server).login(user["email"], NEW_PASSWORD).status_code == 303
    assert Browser(server).login(user["email"], password).status_code == 401
    assert _audited(server, "user.password_reset", user["email"])


def test_reset_signs_out_every_session_and_keeps_tokens_unless_asked(server):
    user = add_user(server)
    b = _signed_in(server, user["email"], PASSWORD)
    token = server.create_token(user["email"])
    _cli_reset(server, user["email"])
    r = b.get("/console/account")
    assert r.status_code == 303 and _path(r) == "/login", f"a session survived the reset: {describe(r)}"
    server.assert_token_works(token)

    password, note = _cli_reset(server, user["email"], "--revoke-tokens")
    assert "revoked" in note, note
    server.refused_after_cache(token)


def test_lost_last_admin_is_recovered_from_the_shell(server):
    """The CLI works on the store: no server, no token needed (docs/cli.md)."""
    admin = add_user(server, admin=True)
    password, _ = _cli_reset(server, admin["email"])
    b = _signed_in(server, admin["email"], password)
    assert _change(b, password).status_code == 200
    assert b.get("/console/users").status_code == 200


def test_unknown_email_is_refused_by_the_cli(server):
    p = server.cli("user", "reset-password", "nobody-here@example.com")
    assert p.returncode != 0 and p.stdout == "", p.stdout


def test_api_reset_by_an_admin_token(server):
    user = add_user(server)
    token = server.create_token(user["email"])
    b = _signed_in(server, user["email"], PASSWORD)
    r = server.post(f"/v1/users/{user['id']}/password_reset", token=server.admin_token)
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert body["must_change_password"] is True and body["tokens_revoked"] == 0, body
    assert r.headers.get("Cache-Control", "").startswith("no-store"), r.headers
    assert b.get("/console/account").status_code == 303
    server.assert_token_works(token)
    nb = _signed_in(server, user["email"], body["password"], "/console/tokens")
    assert _path(nb.get("/console/tokens")) == "/console/account"

    r = server.post(f"/v1/users/{user['id']}/password_reset", token=server.admin_token,
                    json={"revoke_tokens": True})
    assert r.status_code == 200, describe(r)
    assert r.json()["tokens_revoked"] == 1, r.json()
    server.refused_after_cache(token)
    assert _audited(server, "user.password_reset", user["email"])


def test_api_reset_needs_manage_users(server):
    user = add_user(server)
    other = add_user(server)
    token = server.create_token(user["email"])
    r = server.post(f"/v1/users/{other['id']}/password_reset", token=token)
    assert_error(r, 403, "insufficient_scope")
    assert Browser(server).login(other["email"], PASSWORD).status_code == 303


def test_api_reset_of_an_admin_needs_every_admin_scope(server):
    admin = add_user(server, admin=True)
    manager = add_user(server, admin=True)
    token = server.create_token(manager["email"], scopes=["manage_users"])
    r = server.post(f"/v1/users/{admin['id']}/password_reset", token=token)
    assert r.status_code == 403, describe(r)
    assert Browser(server).login(admin["email"], PASSWORD).status_code == 303


def test_api_reset_of_ones_own_password_is_refused(server):
    # a token, perhaps a stolen one, never yields a password for its owner's sign-in
    admin = add_user(server, admin=True)
    token = server.create_token(admin["email"])
    r = server.post(f"/v1/users/{admin['id']}/password_reset", token=token)
    assert_error(r, 403, "forbidden")
    assert "Account page" in r.json()["error_description"], describe(r)
    assert Browser(server).login(admin["email"], PASSWORD).status_code == 303


def test_console_reset_shows_the_password_once(server):
    user = add_user(server)
    b = _signed_in(server, user["email"], PASSWORD)
    admin = add_user(server, admin=True)
    ab = _signed_in(server, admin["email"], PASSWORD, "/console/users")
    page = ab.get("/console/users")
    form = find_form(page, f"/console/users/{user['id']}/password_reset")
    r = ab.post(form.action, data=dict(form.fields))
    assert r.status_code == 200, describe(r)
    assert r.headers.get("Cache-Control", "").startswith("no-store"), r.headers
    m = re.search(r'id="secret"[^>]*>\s*([0-9A-Za-z]{20})\s*<', r.text)
    assert m, describe(r)
    password = m.group(1)
    assert password not in ab.get("/console/users").text
    assert b.get("/console/account").status_code == 303, "the user's session survived"
    nb = _signed_in(server, user["email"], password, "/console")
    assert _path(nb.get("/console/tokens")) == "/console/account"


def test_password_grant_refuses_a_one_time_password(tmp_path):
    srv = Server(tmp_path, extra_args=["--allow-user-credentials"]).start()
    try:
        user = add_user(srv)
        password, _ = _cli_reset(srv, user["email"])
        r = srv.post("/oauth/token", data={"grant_type": "client_credentials",
                                           "client_id": user["email"],
                                           "client_secret": password})
        assert_error(r, 400, "invalid_grant")
    finally:
        srv.finish()


def test_first_admin_must_change_the_printed_password(server):
    b = _signed_in(server, ADMIN_EMAIL, server.admin_password, "/console")
    r = b.get("/console/tokens")
    assert r.status_code == 303 and _path(r) == "/console/account", describe(r)


# --------------------------------------------------------------------------- new users

def _must_change_first(server, email, password):
    """Signing in with password lands on the Account page, and nothing else opens until a
    new password is chosen; then the console opens."""
    b = Browser(server)
    r = b.login(email, password, "/console/tokens")
    assert r.status_code == 303 and _path(r) == "/console/account", describe(r)
    r = b.get("/console/tokens")
    assert r.status_code == 303 and _path(r) == "/console/account", describe(r)
    assert "one-time password" in page_text(b.get("/console/account").text)
    assert _change(b, password).status_code == 200
    assert b.get("/console/tokens").status_code == 200


def _user(server, email):
    r = server.get("/v1/users", token=server.admin_token, params={"limit": 100})
    assert r.status_code == 200, describe(r)
    return next(u for u in r.json()["items"] if u["email"] == email)


def test_a_user_added_on_the_console_must_change_the_generated_password(server):
    admin = add_user(server, admin=True)
    ab = _signed_in(server, admin["email"], PASSWORD, "/console/users")
    form = find_form(ab.get("/console/users"), "/console/users")
    email = unique_email("console")
    r = ab.post(form.action, data=dict(form.fields, email=email, name="Console Added"))
    assert r.status_code == 200, describe(r)
    assert "one-time password" in page_text(r.text)
    password = re.search(r'id="secret"[^>]*>\s*([0-9A-Za-z]{20})\s*<', r.text).group(1)
    assert _user(server, email)["must_change_password"] is True
    _must_change_first(server, email, password)
    assert _user(server, email)["must_change_password"] is False


def test_cli_user_add_gives_a_one_time_password(server):
    email = unique_email("cli")
    p = server.cli("user", "add", email)
    assert p.returncode == 0, p.stderr
    password = re.search(r"^password: (\S+)$", p.stdout, re.M).group(1)
    assert "one-time password" in p.stderr and password not in p.stderr, p.stderr
    assert _user(server, email)["must_change_password"] is True
    _must_change_first(server, email, password)


def test_cli_password_from_stdin_is_one_time_unless_kept(server):
    email = unique_email("stdin")
    p = server.cli("user", "add", email, "--password-stdin", input=PASSWORD + "\n")
    assert p.returncode == 0, p.stderr
    assert _user(server, email)["must_change_password"] is True
    _must_change_first(server, email, PASSWORD)

    email = unique_email("kept")
    p = server.cli("user", "add", email, "--password-stdin", "--permanent-password",
                   input=PASSWORD + "\n")
    assert p.returncode == 0 and "one-time" not in p.stderr, p.stderr
    assert _user(server, email)["must_change_password"] is False
    r = Browser(server).login(email, PASSWORD, "/console/tokens")
    assert r.status_code == 303 and _path(r) == "/console/tokens", describe(r)

    # a generated password is never kept
    p = server.cli("user", "add", unique_email("refused"), "--permanent-password")
    assert p.returncode == 2 and "usage" in p.stderr and p.stdout == "", p.stderr


def test_api_passwords_are_one_time_unless_kept(server):
    r = server.post("/v1/users", server.admin_token, json={"email": unique_email("gen")})
    assert r.status_code == 201, describe(r)
    user = r.json()
    assert user["must_change_password"] is True, user
    _must_change_first(server, user["email"], user["password"])

    r = server.post("/v1/users", server.admin_token,
                    json={"email": unique_email("given"), "password": PASSWORD})
    assert r.status_code == 201 and r.json()["must_change_password"] is True, describe(r)
    _must_change_first(server, r.json()["email"], PASSWORD)

    r = server.post("/v1/users", server.admin_token,
                    json={"email": unique_email("kept"), "password": PASSWORD,
                          "must_change_password": False})
    assert r.status_code == 201 and r.json()["must_change_password"] is False, describe(r)
    r = Browser(server).login(r.json()["email"], PASSWORD, "/console/tokens")
    assert r.status_code == 303 and _path(r) == "/console/tokens", describe(r)

    email = unique_email("refused")
    r = server.post("/v1/users", server.admin_token,
                    json={"email": email, "must_change_password": False})
    assert_error(r, 400)
    assert "generated password" in r.json()["error_description"], r.json()
    r = server.get("/v1/users", token=server.admin_token, params={"limit": 100})
    assert email not in r.text

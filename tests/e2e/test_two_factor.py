# SPDX-License-Identifier: MIT
"""Two-factor sign-in with an authenticator app (TOTP, RFC 6238; docs/console.md): enrolment on
the Account page (QR code and key), sign-in asking for the code after the password, a code
accepted once, wrong codes throttled, recovery codes usable once and renewed as a new set that
ends the old one, the require-2fa policy (set with the CLI, the API and the console's Policy
page), an admin's reset of a user's second factor, turning it off, and the password grant
refusing such accounts. Codes come from Debian's oathtool, with the server's test clock."""
import base64
import concurrent.futures
import re
import sqlite3
import subprocess
import urllib.parse

from conftest import PG_BASE, Server, assert_error, describe, poll
from oauth_helpers import PASSWORD, Browser, add_user, find_form, page_text, parse_forms

STEP = 30
FREE_FAILS = 3      # an account's failures that pass at once (docs/api.md, Password guesses)


def code_at(server, secret, offset=0):
    """The code oathtool computes for the server's clock (plus offset seconds)."""
    at = int(server.now().timestamp()) + offset
    p = subprocess.run(["oathtool", "--totp", "-b", secret, "-N", f"@{at}"],
                       capture_output=True, text=True, timeout=10, check=True)
    return p.stdout.strip()


def to_step_start(server):
    """Moves the server's clock to the first second of a step: the step then turns no sooner
    than 29 s on, not between computing a code and the server's check of it."""
    server.advance(STEP - int(server.now().timestamp()) % STEP)


def _path(resp):
    return urllib.parse.urlsplit(resp.headers.get("Location", "")).path


def signed_in(server, user, next_path="/console/account"):
    b = Browser(server)
    r = b.login(user["email"], user["password"], next_path)
    assert r.status_code == 303 and _path(r) == next_path, describe(r)
    return b


def enrol(server, b):
    """Sets up the app through the Account pages; returns (secret, recovery codes)."""
    page = b.get("/console/account/2fa")
    assert page.status_code == 200, describe(page)
    form = find_form(page, "/console/account/2fa")
    r = b.post(form.action, data=dict(form.fields))
    assert r.status_code == 200, describe(r)
    assert r.headers.get("Cache-Control", "").startswith("no-store"), r.headers
    secret = re.search(r'id="totp-secret">([A-Z2-7]{32})<', r.text).group(1)
    assert 'src="/console/account/2fa/qr.svg"' in r.text
    qr = b.get("/console/account/2fa/qr.svg")
    assert qr.status_code == 200 and qr.headers["Content-Type"] == "image/svg+xml", describe(qr)
    assert qr.text.startswith("<svg") and "<path" in qr.text
    form = find_form(r, "/console/account/2fa")
    r = b.post(form.action, data=dict(form.fields, code=code_at(server, secret)))
    assert r.status_code == 200, describe(r)
    codes = recovery_codes(r)
    server.advance(STEP)        # the enrolment's code is spent: the next sign-in needs a new one
    return secret, codes


def two_factor_form(page, action):
    """The Account page's form posting action (disable, recovery) to /console/account/2fa."""
    forms = [f for f in parse_forms(page.text)
             if f.action == "/console/account/2fa" and f.fields.get("action") == action]
    assert len(forms) == 1, f"expected one {action} form: {describe(page)}"
    return forms[0]


def recovery_codes(page):
    codes = re.findall(r"<li><code>([0-9a-f]{5}(?:-[0-9a-f]{5}){3})</code></li>", page.text)
    assert len(codes) == 10 and len(set(codes)) == 10, describe(page)
    return codes


def password_step(server, user, next_path="/console/tokens"):
    b = Browser(server)
    r = b.login(user["email"], user["password"], next_path)
    assert r.status_code == 303 and _path(r) == "/login/2fa", describe(r)
    b.second_page = r.headers["Location"]     # /login/2fa?next=...
    return b


def second_step(b, code):
    page = b.get(b.second_page)
    assert page.status_code == 200, describe(page)
    form = find_form(page, "/login/2fa")
    return b.post(form.action, data=dict(form.fields, code=code))


def test_enrolment_then_sign_in_with_a_code_from_oathtool(server):
    user = add_user(server)
    b = signed_in(server, user)
    assert "Off." in page_text(b.get("/console/account").text)
    secret, _ = enrol(server, b)
    assert "two-factor sign-in" in page_text(b.get("/console/account").text).lower()

    nb = password_step(server, user)
    # the password alone opens nothing
    r = nb.get("/console/tokens")
    assert r.status_code == 303 and _path(r) == "/login", describe(r)
    r = second_step(nb, code_at(server, secret))
    assert r.status_code == 303 and _path(r) == "/console/tokens", describe(r)
    assert nb.get("/console/tokens").status_code == 200


def test_a_code_from_one_step_either_side_is_accepted(server):
    user = add_user(server)
    secret, _ = enrol(server, signed_in(server, user))
    r = second_step(password_step(server, user), code_at(server, secret, +STEP))
    assert r.status_code == 303, describe(r)
    server.advance(3 * STEP)
    to_step_start(server)       # a code one step old is one step too old once the step turns
    r = second_step(password_step(server, user), code_at(server, secret, -STEP))
    assert r.status_code == 303, describe(r)
    server.advance(3 * STEP)
    r = second_step(password_step(server, user), code_at(server, secret, -2 * STEP))
    assert r.status_code == 401, describe(r)


def test_a_code_is_accepted_once(server):
    user = add_user(server)
    secret, _ = enrol(server, signed_in(server, user))
    code = code_at(server, secret)
    assert second_step(password_step(server, user), code).status_code == 303
    r = second_step(password_step(server, user), code)
    assert r.status_code == 401, describe(r)
    assert "used already" in page_text(r.text)
    server.advance(STEP)
    assert second_step(password_step(server, user), code_at(server, secret)).status_code == 303


def test_one_code_sent_twice_at_once_opens_one_session(server):
    user = add_user(server)
    secret, _ = enrol(server, signed_in(server, user))
    for _ in range(3):
        browsers = [password_step(server, user) for _ in range(4)]
        code = code_at(server, secret)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda b: second_step(b, code).status_code, browsers))
        assert answers.count(303) == 1, answers
        server.advance(STEP)


def test_wrong_codes_are_throttled_even_when_sent_at_once(server):
    user = add_user(server)
    secret, _ = enrol(server, signed_in(server, user))
    browsers = [password_step(server, user) for _ in range(8)]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda b: second_step(b, "000000").status_code, browsers))
    assert sorted(answers) == [401] * FREE_FAILS + [429] * (8 - FREE_FAILS), answers
    # even the right code waits now
    r = second_step(browsers[0], code_at(server, secret))
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1, describe(r)


def test_a_recovery_code_works_once(server):
    user = add_user(server)
    _, codes = enrol(server, signed_in(server, user))
    r = second_step(password_step(server, user), codes[3].upper().replace("-", " "))
    assert r.status_code == 303, describe(r)
    r = second_step(password_step(server, user), codes[3])
    assert r.status_code == 401, describe(r)
    assert second_step(password_step(server, user), codes[4]).status_code == 303


def test_turning_it_off_needs_a_code(server):
    user = add_user(server)
    b = signed_in(server, user)
    secret, _ = enrol(server, b)
    form = two_factor_form(b.get("/console/account"), "disable")
    r = b.post(form.action, data=dict(form.fields, code="123456"))
    assert r.status_code == 400, describe(r)
    r = b.post(form.action, data=dict(form.fields, code=code_at(server, secret)))
    assert r.status_code == 200 and "is off" in page_text(r.text), describe(r)
    signed_in(server, user, "/console/tokens")      # the password alone again


def recovery_left(b):
    """The Account page's count of unused recovery codes."""
    page = b.get("/console/account")
    m = re.search(r"(\d+) of 10 recovery codes unused", page_text(page.text))
    assert page.status_code == 200 and m, describe(page)
    return int(m.group(1))


def renew(b, code):
    form = two_factor_form(b.get("/console/account"), "recovery")
    return b.post(form.action, data=dict(form.fields, code=code))


def test_new_recovery_codes_end_the_old_ones_at_once(tmp_path):
    srv = Server(tmp_path).start()
    try:
        user = add_user(srv)
        b = signed_in(srv, user)
        secret, old = enrol(srv, b)
        assert recovery_left(b) == 10
        assert second_step(password_step(srv, user), old[0]).status_code == 303
        assert recovery_left(b) == 9

        r = renew(b, code_at(srv, secret))
        assert r.status_code == 200, describe(r)
        assert r.headers.get("Cache-Control", "").startswith("no-store"), r.headers
        assert "previous recovery codes no longer work" in page_text(r.text)
        new = recovery_codes(r)
        assert not set(new) & set(old)
        assert recovery_left(b) == 10
        assert new[0] not in b.get("/console/account").text       # shown once

        r = second_step(password_step(srv, user), old[1])         # unused, but of the old set
        assert r.status_code == 401, describe(r)
        assert second_step(password_step(srv, user), new[0]).status_code == 303
        assert second_step(password_step(srv, user), new[0]).status_code == 401
        assert recovery_left(b) == 9

        assert poll(lambda: [e for e in srv.audit_events("2fa.recovery_renewed",
                                                          actor=user["email"])
                             if e["outcome"] == "success"])
    finally:
        srv.finish()


def test_new_recovery_codes_need_a_current_code_from_the_app(tmp_path):
    srv = Server(tmp_path).start()
    try:
        user = add_user(srv)
        b = signed_in(srv, user)
        secret, old = enrol(srv, b)
        r = renew(b, "123456")
        assert r.status_code == 400 and "not right" in page_text(r.text), describe(r)
        assert 'id="totp-error"' in r.text
        r = renew(b, old[2])                    # a recovery code is not enough
        assert r.status_code == 400, describe(r)
        code = code_at(srv, secret)
        assert second_step(password_step(srv, user), code).status_code == 303
        r = renew(b, code)                      # that code was accepted once already
        assert r.status_code == 400 and "used already" in page_text(r.text), describe(r)
        assert recovery_left(b) == 10           # nothing changed: the old set still works
        srv.advance(STEP)                       # past the wait three wrong codes cost
        assert second_step(password_step(srv, user), old[2]).status_code == 303
    finally:
        srv.finish()


def test_one_code_sent_twice_at_once_renews_the_codes_once(tmp_path):
    srv = Server(tmp_path).start()
    try:
        for _ in range(4):
            user = add_user(srv)
            b = signed_in(srv, user)
            secret, _ = enrol(srv, b)
            form = two_factor_form(b.get("/console/account"), "recovery")
            tabs = [Browser(srv) for _ in range(3)]     # the same session, three requests
            for tab in tabs:
                tab.s.cookies.update(b.s.cookies)
            code = code_at(srv, secret)
            with concurrent.futures.ThreadPoolExecutor(3) as pool:
                answers = list(pool.map(
                    lambda t: t.post(form.action, data=dict(form.fields, code=code)), tabs))
            assert sorted(r.status_code for r in answers) == [200, 400, 400], \
                [describe(r) for r in answers]
            shown = recovery_codes(next(r for r in answers if r.status_code == 200))
            assert second_step(password_step(srv, user), shown[0]).status_code == 303
    finally:
        srv.finish()


def test_admin_resets_a_users_second_factor(server):
    user = add_user(server)
    b = signed_in(server, user)
    enrol(server, b)
    r = server.post(f"/v1/users/{user['id']}/two_factor_reset", token=server.admin_token)
    assert r.status_code == 200, describe(r)
    assert b.get("/console/account").status_code == 303, "the user's session survived"
    signed_in(server, user, "/console/tokens")

    assert poll(lambda: any(user["email"] in e["target"] for e in server.audit_events("2fa.reset")))


def test_admin_resets_from_the_users_page(server):
    user = add_user(server)
    enrol(server, signed_in(server, user))
    admin = add_user(server, admin=True)
    ab = signed_in(server, admin, "/console/users")
    form = find_form(ab.get("/console/users"), f"/console/users/{user['id']}/two_factor_reset")
    r = ab.post(form.action, data=dict(form.fields))
    assert r.status_code == 200, describe(r)
    signed_in(server, user, "/console/tokens")


def test_new_recovery_codes_without_an_app_are_no_attempt(server):
    user = add_user(server)
    b = signed_in(server, user)
    r = b.post("/console/account/2fa", data={"csrf": b.cookie("jeton_csrf"),
                                             "action": "recovery", "code": "123456"})
    assert r.status_code == 303 and _path(r) == "/console/account", describe(r)
    # audit events are written in order: once a sign-in after the attempt is in, an event
    # the attempt recorded would be too
    signed_in(server, user)
    assert poll(lambda: len(server.audit_events("login.succeeded", actor=user["email"])) == 2)
    events = server.audit_events(actor=user["email"])
    assert [e["action"] for e in events if e["action"].startswith("2fa")] == []


def test_an_admin_session_or_token_cannot_take_off_its_own_second_factor(server):
    admin = add_user(server, admin=True)
    b = signed_in(server, admin, "/console/account")
    enrol(server, b)
    r = b.post(f"/console/users/{admin['id']}/two_factor_reset",
               data={"csrf": b.cookie("jeton_csrf")})
    assert r.status_code == 403 and "on the Account page" in page_text(r.text), describe(r)
    pat = server.create_token(admin["email"], name="own-2fa")
    r = server.post(f"/v1/users/{admin['id']}/two_factor_reset", token=pat)
    assert r.status_code == 403 and "Account page" in r.json()["error_description"], describe(r)
    password_step(server, admin)            # the code is still asked for


def test_a_lost_phone_is_recovered_from_the_shell(server):
    """`jeton user reset-two-factor` works on the store, as `user reset-password` does: the
    last admin's account too (docs/cli.md)."""
    admin = add_user(server, admin=True)
    b = signed_in(server, admin)
    enrol(server, b)
    p = server.cli("user", "reset-two-factor", admin["email"])
    assert p.returncode == 0 and "signed out" in p.stderr, p.stderr
    r = b.get("/console/account")
    assert r.status_code == 303 and _path(r) == "/login", "the admin's session survived"
    signed_in(server, admin, "/console/users")       # the password alone again

    assert poll(lambda: [e for e in server.audit_events("2fa.reset", actor="cli")
                         if admin["email"] in e["target"]])
    p = server.cli("user", "reset-two-factor", "nobody-here@example.com")
    assert p.returncode == 1 and p.stdout == "", p.stderr


def test_the_secret_is_stored_sealed(server):
    user = add_user(server)
    secret, _ = enrol(server, signed_in(server, user))
    raw = base64.b32decode(secret)
    if PG_BASE:
        blobs = [bytes.fromhex(r) for r in server.db.sql(
            f"SELECT encode(sealed, 'hex') FROM totp WHERE user_id = {user['id']}")]
    else:
        with sqlite3.connect(f"file:{server.db}?mode=ro", uri=True) as db:
            blobs = [r[0] for r in db.execute("SELECT sealed FROM totp WHERE user_id = ?",
                                              (user["id"],))]
    assert len(blobs) == 1 and raw not in blobs[0] and secret.encode() not in blobs[0]


def test_the_enrolment_gate_stays_shut_when_the_policy_cannot_be_read(server):
    user = add_user(server)
    b = signed_in(server, user, "/console/authorizations")
    assert b.get("/console/authorizations").status_code == 200
    server.store_sql("ALTER TABLE policy RENAME TO policy_away")
    try:
        r = b.get("/console/authorizations")
    finally:
        server.store_sql("ALTER TABLE policy_away RENAME TO policy")
    assert r.status_code == 303 and _path(r) == "/console/account/2fa", describe(r)
    assert b.get("/console/authorizations").status_code == 200     # readable again: no gate


def test_policy_sends_users_to_enrol_first(tmp_path):
    srv = Server(tmp_path).start()
    try:
        user = add_user(srv)
        admin = add_user(srv, admin=True)
        p = srv.cli("policy", "set", "--require-2fa", "admins")
        assert p.returncode == 0 and "require_2fa         admins" in p.stdout, p.stdout + p.stderr
        signed_in(srv, user, "/console/tokens")           # not an admin: nothing asked
        ab = Browser(srv)
        r = ab.login(admin["email"], admin["password"], "/console/tokens")
        assert r.status_code == 303 and _path(r) == "/console/account/2fa", describe(r)
        r = ab.get("/console/tokens")
        assert r.status_code == 303 and _path(r) == "/console/account/2fa", describe(r)
        page = ab.get("/console/account/2fa")
        assert "require two-factor sign-in" in page_text(page.text), describe(page)
        enrol(srv, ab)
        assert ab.get("/console/tokens").status_code == 200

        r = srv.put("/v1/policy", token=srv.admin_token, json={"require_2fa": "all"})
        assert r.status_code == 200 and r.json()["require_2fa"] == "all", describe(r)
        for next_path in ("/console/tokens", "/console/account"):
            # straight from the password to enrolment, whatever page was asked for
            r = Browser(srv).login(user["email"], user["password"], next_path)
            assert r.status_code == 303 and _path(r) == "/console/account/2fa", describe(r)
    finally:
        srv.finish()


def test_the_console_policy_page_sets_who_must_use_it(tmp_path):
    srv = Server(tmp_path).start()
    try:
        admin = add_user(srv, admin=True)
        user = add_user(srv)
        ab = signed_in(srv, admin, "/console/policy")
        form = find_form(ab.get("/console/policy"), "/console/policy")
        assert [v for v, _ in form.selects["require_2fa"]] == ["none", "admins", "all"], form

        def policy():
            return srv.get("/v1/policy", token=srv.admin_token).json()["require_2fa"]
        r = ab.post(form.action, data=dict(form.fields, require_2fa="everyone"))
        assert r.status_code == 400 and 'id="policy-error"' in r.text, describe(r)
        assert policy() is None
        r = ab.post(form.action, data=dict(form.fields, require_2fa="all"))
        assert r.status_code == 303, describe(r)
        assert policy() == "all"

        assert poll(lambda: [e for e in srv.audit_events("policy.changed", actor=admin["email"])
                             if "require_2fa=all" in e["target"]])

        # whoever has not enrolled goes to enrol first: the admin who saved it, and a user
        r = ab.get("/console/policy")
        assert r.status_code == 303 and _path(r) == "/console/account/2fa", describe(r)
        ub = Browser(srv)
        r = ub.login(user["email"], user["password"], "/console/tokens")
        assert r.status_code == 303 and _path(r) == "/console/account/2fa", describe(r)
        r = ub.get("/console/tokens")
        assert r.status_code == 303 and _path(r) == "/console/account/2fa", describe(r)

        enrol(srv, ab)
        page = ab.get("/console/policy")
        assert re.search(r'<option value="all" selected>', page.text), describe(page)
        r = ab.post(form.action, data=dict(form.fields))      # a form without the field
        assert r.status_code == 303 and policy() == "all", describe(r)
        r = ab.post(form.action, data=dict(form.fields, require_2fa="none"))
        assert r.status_code == 303 and policy() is None, describe(r)
        assert ub.get("/console/tokens").status_code == 200
    finally:
        srv.finish()


def test_password_grant_refuses_an_account_with_two_factor(tmp_path):
    srv = Server(tmp_path, extra_args=["--allow-user-credentials"]).start()
    try:
        user = add_user(srv)
        grant = {"grant_type": "client_credentials", "client_id": user["email"],
                 "client_secret": PASSWORD}
        assert srv.post("/oauth/token", data=grant).status_code == 200
        enrol(srv, signed_in(srv, user))
        r = srv.post("/oauth/token", data=grant)
        assert_error(r, 400, "invalid_grant")
        assert "personal access token" in r.json()["error_description"]
    finally:
        srv.finish()

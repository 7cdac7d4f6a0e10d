# SPDX-License-Identifier: MIT
"""Two-factor sign-in with an authenticator app (TOTP, RFC 6238; docs/console.md): enrolment on
the Account page (QR code and key), sign-in asking for the code after the password, a code
accepted once, wrong codes throttled, recovery codes usable once, the require-2fa policy, an
admin's reset of a user's second factor, turning it off, and the password grant refusing such
accounts. Codes come from Debian's oathtool, with the server's test clock."""
import base64
import concurrent.futures
import re
import sqlite3
import subprocess
import urllib.parse

from conftest import PG_BASE, Server, assert_error, describe, poll
from oauth_helpers import PASSWORD, Browser, add_user, find_form, page_text

STEP = 30
FREE_FAILS = 3      # an account's failures that pass at once (docs/api.md, Password guesses)


def code_at(server, secret, offset=0):
    """The code oathtool computes for the server's clock (plus offset seconds)."""
    at = int(server.now().timestamp()) + offset
    p = subprocess.run(["oathtool", "--totp", "-b", secret, "-N", f"@{at}"],
                       capture_output=True, text=True, timeout=10, check=True)
    return p.stdout.strip()


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
    codes = re.findall(r"<li><code>([0-9a-f]{5}(?:-[0-9a-f]{5}){3})</code></li>", r.text)
    assert len(codes) == 10 and len(set(codes)) == 10, r.text
    server.advance(STEP)        # the enrolment's code is spent: the next sign-in needs a new one
    return secret, codes


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
    form = find_form(b.get("/console/account"), "/console/account/2fa")
    r = b.post(form.action, data=dict(form.fields, code="123456"))
    assert r.status_code == 400, describe(r)
    r = b.post(form.action, data=dict(form.fields, code=code_at(server, secret)))
    assert r.status_code == 200 and "is off" in page_text(r.text), describe(r)
    signed_in(server, user, "/console/tokens")      # the password alone again


def test_admin_resets_a_users_second_factor(server):
    user = add_user(server)
    b = signed_in(server, user)
    enrol(server, b)
    r = server.post(f"/v1/users/{user['id']}/two_factor_reset", token=server.admin_token)
    assert r.status_code == 200, describe(r)
    assert b.get("/console/account").status_code == 303, "the user's session survived"
    signed_in(server, user, "/console/tokens")

    def audited():
        r = server.get("/v1/audit", token=server.admin_token, params={"action": "2fa.reset"})
        return any(user["email"] in e["target"] for e in r.json()["items"])
    assert poll(audited)


def test_admin_resets_from_the_users_page(server):
    user = add_user(server)
    enrol(server, signed_in(server, user))
    admin = add_user(server, admin=True)
    ab = signed_in(server, admin, "/console/users")
    form = find_form(ab.get("/console/users"), f"/console/users/{user['id']}/two_factor_reset")
    r = ab.post(form.action, data=dict(form.fields))
    assert r.status_code == 200, describe(r)
    signed_in(server, user, "/console/tokens")


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


def test_policy_sends_users_to_enrol_first(tmp_path):
    srv = Server(tmp_path).start()
    try:
        user = add_user(srv)
        admin = add_user(srv, admin=True)
        p = srv.cli("policy", "set", "--require-2fa", "admins")
        assert p.returncode == 0 and "require_2fa         admins" in p.stdout, p.stdout + p.stderr
        signed_in(srv, user, "/console/tokens")           # not an admin: nothing asked
        ab = Browser(srv)
        ab.login(admin["email"], admin["password"], "/console/tokens")
        r = ab.get("/console/tokens")
        assert r.status_code == 303 and _path(r) == "/console/account/2fa", describe(r)
        page = ab.get("/console/account/2fa")
        assert "require two-factor sign-in" in page_text(page.text), describe(page)
        enrol(srv, ab)
        assert ab.get("/console/tokens").status_code == 200

        r = srv.put("/v1/policy", token=srv.admin_token, json={"require_2fa": "all"})
        assert r.status_code == 200 and r.json()["require_2fa"] == "all", describe(r)
        ub = signed_in(srv, user, "/console/tokens")
        r = ub.get("/console/tokens")
        assert _path(r) == "/console/account/2fa", describe(r)
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

# SPDX-License-Identifier: MIT
"""Console sessions (docs/console.md): the Account page lists the user's sessions (when each
signed in and was last seen, its address and browser) and ends any one of them or every other
one; a session ends after --session-idle without use (default 2 h) and --session-lifetime after
sign-in (default 8 h)."""
import re
import sqlite3
import urllib.parse

from conftest import Server, describe, poll, run_jeton
from oauth_helpers import Browser, add_user, parse_forms

HOUR = 3600


def _signed_in(server, user, agent):
    b = Browser(server)
    b.s.headers["User-Agent"] = agent
    r = b.login(user["email"], user["password"], "/console/account")
    assert r.status_code == 303, describe(r)
    return b


def _signed_out(b):
    r = b.get("/console/account")
    return r.status_code == 303 and urllib.parse.urlsplit(r.headers["Location"]).path == "/login"


def _session_forms(page):
    return [f for f in parse_forms(page.text) if f.action == "/console/account/sessions"
            and f.fields.get("session")]


def _rows(page):
    body = page.text.split('id="sessions"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, re.S)


def test_account_page_lists_the_users_sessions(server):
    user = add_user(server)
    laptop = _signed_in(server, user, "Laptop-Browser/1.0")
    _signed_in(server, user, "Phone-Browser/2.0 " + "x" * 300)
    _signed_in(server, add_user(server), "Someone-Else/3.0")
    page = laptop.get("/console/account")
    assert page.status_code == 200, describe(page)
    rows = _rows(page)
    assert len(rows) == 2, rows
    text = " ".join(rows)
    assert "Laptop-Browser/1.0" in text and "Phone-Browser/2.0" in text
    assert "Someone-Else" not in text
    assert "127.0.0.1" in text
    # the user agent is kept bounded
    phone = next(r for r in rows if "Phone-Browser" in r)
    assert "x" * 200 not in phone and "x" * 100 in phone
    assert sum("this session" in r for r in rows) == 1
    assert "this session" in next(r for r in rows if "Laptop-Browser" in r)


def test_ending_one_session_signs_out_only_that_browser(server):
    user = add_user(server)
    laptop = _signed_in(server, user, "Laptop/1")
    phone = _signed_in(server, user, "Phone/1")
    tablet = _signed_in(server, user, "Tablet/1")
    page = laptop.get("/console/account")
    rows = _rows(page)
    forms = _session_forms(page)
    phone_form = forms[next(i for i, r in enumerate(rows) if "Phone/1" in r)]
    r = laptop.post(phone_form.action, data=dict(phone_form.fields, action="end"))
    assert r.status_code == 200, describe(r)
    assert _signed_out(phone)
    assert not _signed_out(laptop) and not _signed_out(tablet)
    # a session key that is not one of the user's own ends nothing
    other = _signed_in(server, add_user(server), "Other/1")
    other_page = other.get("/console/account")
    other_key = _session_forms(other_page)[0].fields["session"]
    r = laptop.post("/console/account/sessions",
                    data=dict(phone_form.fields, action="end", session=other_key))
    assert r.status_code == 404, describe(r)
    assert not _signed_out(other)


def test_ending_every_other_session_keeps_this_one(server):
    user = add_user(server)
    laptop = _signed_in(server, user, "Laptop/2")
    others = [_signed_in(server, user, f"Other/{i}") for i in range(2)]
    page = laptop.get("/console/account")
    form = next(f for f in parse_forms(page.text) if f.action == "/console/account/sessions"
                and not f.fields.get("session"))
    r = laptop.post(form.action, data=dict(form.fields, action="end_others"))
    assert r.status_code == 200, describe(r)
    assert all(_signed_out(b) for b in others)
    assert not _signed_out(laptop)
    assert len(_rows(laptop.get("/console/account"))) == 1


def test_ending_this_session_signs_out(server):
    user = add_user(server)
    b = _signed_in(server, user, "Solo/1")
    form = _session_forms(b.get("/console/account"))[0]
    r = b.post(form.action, data=dict(form.fields, action="end"))
    assert r.status_code == 303, describe(r)
    assert _signed_out(b)


def test_ending_a_session_needs_the_csrf_token(server):
    user = add_user(server)
    laptop = _signed_in(server, user, "Laptop/3")
    phone = _signed_in(server, user, "Phone/3")
    form = _session_forms(laptop.get("/console/account"))[0]
    r = laptop.post(form.action, data=dict(form.fields, action="end_others", csrf="x" * 32))
    assert r.status_code == 403, describe(r)
    assert not _signed_out(phone)


def _last_seen(server):
    """The latest last use of any session, in the store (written a moment after the use)."""
    query = "SELECT MAX(last_seen_at) FROM sessions"
    if hasattr(server.db, "sql"):                       # PostgreSQL
        return int(server.db.sql(query)[0] or 0)
    with sqlite3.connect(f"file:{server.db}?mode=ro", uri=True) as db:
        return db.execute(query).fetchone()[0] or 0


def _still_in_after(server, b, seconds):
    """Moves the clock, uses the session, and waits until that use is written."""
    server.advance(seconds)
    r = b.get("/console/account")
    used_at = int(server.now().timestamp()) - 5
    assert poll(lambda: _last_seen(server) >= used_at), "the session's use was not recorded"
    return r.status_code == 200


def test_idle_sessions_end_and_used_ones_last_until_the_lifetime(tmp_path):
    srv = Server(tmp_path).start()
    try:
        user = add_user(srv)
        idle = _signed_in(srv, user, "Idle/1")
        busy = _signed_in(srv, user, "Busy/1")
        for _ in range(7):                      # used every hour: 7 h in
            assert _still_in_after(srv, busy, HOUR)
        assert _signed_out(idle), "a session unused for 7 h is still signed in"
        assert not _signed_out(busy)
        srv.advance(HOUR)                        # 8 h after sign-in: the absolute lifetime
        assert _signed_out(busy), "a session outlived --session-lifetime"
    finally:
        srv.finish()


def test_idle_timeout_is_a_setting(tmp_path):
    srv = Server(tmp_path, extra_args=["--session-idle", "10m"]).start()
    try:
        user = add_user(srv)
        b = _signed_in(srv, user, "Idle/2")
        for _ in range(3):                      # used every 9 minutes: kept
            assert _still_in_after(srv, b, 9 * 60)
        srv.advance(11 * 60)
        assert _signed_out(b), "a session unused past --session-idle is still signed in"
    finally:
        srv.finish()


def test_a_bad_session_setting_is_refused(tmp_path):
    p = run_jeton("--db", str(tmp_path / "j.db"), "serve", "--session-idle", "5x",
                  "--listen", "127.0.0.1:1")
    assert p.returncode == 2, p.stderr
    assert "--session-idle" in p.stderr, p.stderr

# SPDX-License-Identifier: MIT
"""Changing one's password on the console's Account page: the current password's check is
throttled like a login, and the change signs the user out of every other session (the one that
made the change stays signed in)."""
import urllib.parse

from conftest import describe
from oauth_helpers import PASSWORD, Browser, add_user, find_form

NEW_PASSWORD = "Another-Staple-77-horse"
FREE_FAILS = 3             # an account's failures before each attempt waits (docs/api.md)


def _signed_in(server, user):
    b = Browser(server)
    r = b.login(user["email"], user["password"], "/console/account")
    assert r.status_code == 303, describe(r)
    return b


def _change(b, current, new=NEW_PASSWORD):
    form = find_form(b.get("/console/account"), "/console/account")
    return b.post(form.action, data=dict(form.fields, current=current, password=new, confirm=new))


def _account_page(b):
    """200 for a signed-in browser; a signed-out one is sent to /login."""
    return b.get("/console/account")


def test_changing_the_password_signs_out_the_users_other_sessions(server):
    user = add_user(server)
    laptop, phone = _signed_in(server, user), _signed_in(server, user)
    bystander = add_user(server)
    elsewhere = _signed_in(server, bystander)
    assert _account_page(phone).status_code == 200

    r = _change(laptop, PASSWORD)
    assert r.status_code == 200, describe(r)

    r = _account_page(phone)
    assert r.status_code == 303, f"the other session is still signed in: {describe(r)}"
    assert urllib.parse.urlsplit(r.headers["Location"]).path == "/login", r.headers
    assert _account_page(laptop).status_code == 200, "the session that changed it was signed out"
    assert _account_page(elsewhere).status_code == 200, "another user's session was signed out"
    # the new password opens a session, the old one no longer does
    assert Browser(server).login(user["email"], NEW_PASSWORD).status_code == 303
    assert Browser(server).login(user["email"], PASSWORD).status_code == 401


def test_wrong_current_passwords_on_the_account_page_are_throttled(server):
    user = add_user(server)
    b = _signed_in(server, user)
    for i in range(FREE_FAILS):
        r = _change(b, f"not-my-password-{i}")
        assert r.status_code == 400, describe(r)
    r = _change(b, PASSWORD)
    assert r.status_code == 429, f"guessing the current password is not throttled: {describe(r)}"
    wait = int(r.headers["Retry-After"])
    assert wait >= 1, r.headers
    # the password was not changed
    server.advance(wait)
    r = Browser(server).login(user["email"], PASSWORD)
    assert r.status_code == 303, describe(r)

# SPDX-License-Identifier: MIT
"""The device authorization grant (RFC 8628), for a command-line tool that cannot receive a
redirect: the tool gets a device code and a short user code at /oauth/device_authorization,
its user signs in at /device, enters or confirms the code and allows it on the consent page,
and the tool's polls of /oauth/token answer authorization_pending, slow_down, access_denied,
expired_token and, once, the tokens. The polls are made with oauthlib's DeviceClient (Debian's
python3-oauthlib), a client library that implements the grant."""
import re
import threading
import time
import urllib.parse

import pytest
import requests
from oauthlib.oauth2 import DeviceClient

from conftest import HTTP_TIMEOUT, describe
from oauth_helpers import (Browser, assert_oauth_error, create_app, find_form, me_status, member,
                           metadata, page_text, refresh)

URN = "urn:ietf:params:oauth:grant-type:device_code"
USER_CODE = re.compile(r"^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$")


@pytest.fixture(scope="module")
def app(server):
    """A public command-line tool that may refresh."""
    return create_app(server, name="Storyblok CLI", public=True,
                      grants=["device_code", "refresh_token"],
                      scopes=["read_content", "write_content"])


@pytest.fixture(scope="module")
def user(server):
    return member(server, role="editor", name="Dev Ice")


def _authorize(server, app, **extra):
    r = requests.post(server.url + "/oauth/device_authorization",
                      data={"client_id": app["client_id"], **extra}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, describe(r)
    return r.json()


def _poll(server, app, device_code):
    """One poll, its body made and its answer read by oauthlib's DeviceClient."""
    client = DeviceClient(app["client_id"])
    body = client.prepare_request_body(device_code, include_client_id=True)
    return requests.post(server.url + "/oauth/token", data=body, timeout=HTTP_TIMEOUT,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})


def _signed_in(server, user, url):
    """A browser that opened url (a verification URI), signed in on the way; the code page."""
    b = Browser(server)
    r = b.get(url)
    assert r.status_code == 302 and urllib.parse.urlsplit(r.headers["Location"]).path == "/login"
    login = b.follow(r)
    form = find_form(login, "/login")
    r = b.post("/login", data={**form.fields, "email": user["email"],
                               "password": user["password"]})
    assert r.status_code == 303, describe(r)
    page = b.follow(r)
    assert page.status_code == 200, describe(page)
    return b, page


def _decide(b, code_page, decision):
    """Continue with the code of the page, then allow or deny on the consent page."""
    form = find_form(code_page, "/device")
    consent = b.post("/device", data=dict(form.fields))
    assert consent.status_code == 200, describe(consent)
    form = find_form(consent, "/device")
    data = {**form.fields, "decision": decision}
    if form.selects.get("space_id"):
        data["space_id"] = form.selects["space_id"][0][0]
    return consent, b.post("/device", data=data)


def test_discovery_lists_the_endpoint_and_the_grant(server):
    meta = metadata(server)
    assert meta["device_authorization_endpoint"] == server.url + "/oauth/device_authorization"
    assert URN in meta["grant_types_supported"]


def test_an_app_must_opt_in(server):
    other = create_app(server, name="No devices", public=True, grants=["authorization_code"],
                       redirect_uris=["https://c.example/cb"])
    r = requests.post(server.url + "/oauth/device_authorization",
                      data={"client_id": other["client_id"]}, timeout=HTTP_TIMEOUT)
    assert_oauth_error(r, 400, "unauthorized_client")


def test_a_device_signs_in_once_its_user_allows_it(server, app, user):
    d = _authorize(server, app, scope="read_content")
    assert USER_CODE.match(d["user_code"]), d
    assert d["verification_uri"] == server.url + "/device"
    assert d["verification_uri_complete"] == f"{server.url}/device?user_code={d['user_code']}"
    assert d["expires_in"] == 600 and d["interval"] == 5
    assert_oauth_error(_poll(server, app, d["device_code"]), 400, "authorization_pending")
    assert_oauth_error(_poll(server, app, d["device_code"]), 400, "slow_down")
    server.advance(11)   # the interval grew to 10 s
    assert_oauth_error(_poll(server, app, d["device_code"]), 400, "authorization_pending")

    b, code_page = _signed_in(server, user, d["verification_uri_complete"])
    assert find_form(code_page, "/device").fields["user_code"] == d["user_code"]
    consent, done = _decide(b, code_page, "allow")
    shown = page_text(consent.text)
    assert "Storyblok CLI wants access" in shown and "read_content" in shown
    assert "write_content" not in shown
    assert done.status_code == 200 and "return to your device" in page_text(done.text)

    server.advance(11)
    r = _poll(server, app, d["device_code"])
    assert r.status_code == 200, describe(r)
    token = DeviceClient(app["client_id"]).parse_request_body_response(r.text)
    assert token["scope"] == ["read_content"]
    assert me_status(server, token["access_token"]) == 200
    assert refresh(server, app, token["refresh_token"]).status_code == 200
    server.advance(11)
    assert_oauth_error(_poll(server, app, d["device_code"]), 400, "invalid_grant")


def test_a_denied_sign_in_is_access_denied(server, app, user):
    d = _authorize(server, app)
    b, code_page = _signed_in(server, user, server.url + "/device")
    form = find_form(code_page, "/device")
    assert form.fields["user_code"] == ""
    typed = d["user_code"].lower().replace("-", " ")    # as a person may type it
    consent = b.post("/device", data={**form.fields, "user_code": typed})
    assert consent.status_code == 200, describe(consent)
    form = find_form(consent, "/device")
    r = b.post("/device", data={**form.fields, "decision": "deny"})
    assert r.status_code == 200, describe(r)
    assert_oauth_error(_poll(server, app, d["device_code"]), 400, "access_denied")


def test_an_unused_code_expires(server, app):
    d = _authorize(server, app)
    server.advance(601)
    assert_oauth_error(_poll(server, app, d["device_code"]), 400, "expired_token")


def test_parallel_polls_get_the_tokens_once(server, app, user):
    for _ in range(3):
        d = _authorize(server, app)
        b, code_page = _signed_in(server, user, d["verification_uri_complete"])
        _decide(b, code_page, "allow")
        server.advance(11)
        start = threading.Barrier(8)
        answers = [None] * 8

        def worker(i):
            start.wait(timeout=10)
            answers[i] = _poll(server, app, d["device_code"])

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in threads), "a poll hung"
        assert sum(r.status_code == 200 for r in answers) == 1, [describe(r) for r in answers]


def test_guessing_user_codes_is_throttled(server, app):
    guesser = member(server, role="viewer", name="Gus Guess")
    d = _authorize(server, app)
    b, code_page = _signed_in(server, guesser, server.url + "/device")
    fields = find_form(code_page, "/device").fields
    deadline = time.monotonic() + 20
    statuses = []
    while 429 not in statuses:
        assert time.monotonic() < deadline and len(statuses) < 50, statuses
        statuses.append(b.post("/device", data={**fields, "user_code": "BBBB-BBBB"}).status_code)
    assert set(statuses[:-1]) == {400}, statuses
    # refused before the look-up: even the right code waits now
    assert b.post("/device", data={**fields, "user_code": d["user_code"]}).status_code == 429


def test_the_console_offers_the_grant(server):
    from oauth_helpers import admin_browser
    b = admin_browser(server)
    form = find_form(b.get("/console/apps/new"), "/console/apps/new")
    assert "grant_device_code" in form.fields, form
    data = {k: v for k, v in form.fields.items()      # unchecked boxes left out
            if not k.startswith("grant_") and k not in ("introspect", "allow_pkce_plain")}
    data.update(name="Console CLI", type="public", token_format="opaque",
                grant_device_code="1", grant_refresh_token="1")
    r = b.post("/console/apps/new", data=data)
    assert r.status_code == 303, page_text(r.text)
    apps = server.get("/v1/apps?limit=100", server.admin_token).json()["items"]
    app = next(a for a in apps if a["name"] == "Console CLI")
    assert sorted(app["grants"]) == ["device_code", "refresh_token"]
    _authorize(server, app)


PENDING_LIMIT = 1000    # LIMIT_DEVICE_PENDING: an app's sign-ins running at once


def test_an_apps_running_sign_ins_are_bounded_however_many_ask_at_once(server):
    """Anyone who knows a public client's id may ask for device codes: past the app's bound
    every request, however many come together, is slow_down, and nothing more is stored."""
    bounded = create_app(server, name="Bounded CLI", public=True, grants=["device_code"],
                         scopes=["read_content"])
    statuses, lock = [], threading.Lock()
    asks = iter(range(PENDING_LIMIT + 40))

    def ask():
        with requests.Session() as s:
            while True:
                with lock:
                    if next(asks, None) is None:
                        return
                r = s.post(server.url + "/oauth/device_authorization",
                           data={"client_id": bounded["client_id"]}, timeout=HTTP_TIMEOUT)
                with lock:
                    statuses.append((r.status_code, r.json().get("error")))

    workers = [threading.Thread(target=ask) for _ in range(40)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert statuses.count((200, None)) == PENDING_LIMIT, sorted(set(statuses))
    assert statuses.count((429, "slow_down")) == 40, sorted(set(statuses))
    # other apps are not held back
    _authorize(server, create_app(server, name="Other CLI", public=True, grants=["device_code"],
                                  scopes=["read_content"]))
    # once the running sign-ins expire, the app may ask again
    server.advance(601)
    _authorize(server, bounded)

# SPDX-License-Identifier: MIT
"""GET/POST /oauth/authorize as a browser sees it: error pages and error redirects, the login
page, the consent page (headers, CSRF), state round trip, deny, spaces, login throttling."""
import urllib.parse

import pytest

from conftest import describe, unique, unique_email
from oauth_helpers import (PASSWORD, REDIRECT, REDIRECT_2, Browser, add_space, add_user,
                           assert_token, authorize_code, code_app, create_app, find_form, member,
                           metadata, page_text, pkce_pair, query_of)


@pytest.fixture(scope="module")
def app(server):
    return code_app(server, name="Gallery Importer")


@pytest.fixture(scope="module")
def public_app(server):
    return create_app(server, name=unique("public"), public=True, redirect_uris=[REDIRECT])


@pytest.fixture(scope="module")
def user(server):
    return member(server, role="editor", spaces=2, name="Ada Consent")


@pytest.fixture(scope="module")
def issuer(server):
    return metadata(server)["issuer"]


def _params(app, **kw):
    p = {"client_id": app["client_id"], "response_type": "code", "redirect_uri": REDIRECT,
         "state": "st-123"}
    p.update(kw)
    return {k: v for k, v in p.items() if v is not None}


def _assert_error_page(resp):
    assert resp.status_code == 400, describe(resp)
    assert "Location" not in resp.headers, f"error page redirects: {resp.headers}"
    assert "text/html" in resp.headers.get("Content-Type", ""), resp.headers


def _assert_error_redirect(resp, error, issuer, state="st-123", base=REDIRECT):
    assert resp.status_code in (302, 303), describe(resp)
    location = resp.headers["Location"]
    assert location.startswith(base + "?"), location
    q = query_of(location)
    assert q.get("error") == error, location
    assert q.get("error_description"), location
    assert q.get("iss") == issuer, location
    if state is not None:
        assert q.get("state") == state, location
    assert "code" not in q, location
    return q


# --------------------------------------------------------------------------- no redirect

def test_unknown_client_gets_an_error_page_not_a_redirect(server):
    r = Browser(server).authorize(client_id="no-such-client", response_type="code",
                                  redirect_uri=REDIRECT, state="s")
    _assert_error_page(r)


def test_missing_client_id_gets_an_error_page(server):
    r = Browser(server).authorize(response_type="code", redirect_uri=REDIRECT)
    _assert_error_page(r)


@pytest.mark.parametrize("uri", [
    "https://attacker.example/cb",
    REDIRECT + "/",                     # byte for byte: a trailing slash is another URI
    REDIRECT.upper().replace("HTTP", "http"),
    REDIRECT + "?x=1",
])
def test_unregistered_redirect_uri_gets_an_error_page(server, app, uri):
    r = Browser(server).authorize(**_params(app, redirect_uri=uri))
    _assert_error_page(r)
    # even with a second, invalid error after it
    r = Browser(server).authorize(**_params(app, redirect_uri=uri, response_type="token"))
    _assert_error_page(r)


def test_redirect_uri_may_be_left_out_only_when_the_app_has_one(server, app):
    r = Browser(server).authorize(**_params(app, redirect_uri=None))
    _assert_error_page(r)   # app has two redirect URIs


# --------------------------------------------------------------------------- error redirects

def test_unsupported_response_type_redirects_with_the_error(server, app, issuer):
    r = Browser(server).authorize(**_params(app, response_type="token"))
    _assert_error_redirect(r, "unsupported_response_type", issuer)


def test_missing_response_type_redirects_with_an_error(server, app, issuer):
    r = Browser(server).authorize(**_params(app, response_type=None))
    assert r.status_code == 302, describe(r)
    assert query_of(r.headers["Location"]).get("error") in ("invalid_request",
                                                             "unsupported_response_type")


@pytest.mark.parametrize("scope", ["manage_users", "read_content manage_apps", "no_such_scope"])
def test_invalid_scope_redirects_with_the_error(server, app, issuer, scope):
    r = Browser(server).authorize(**_params(app, scope=scope))
    _assert_error_redirect(r, "invalid_scope", issuer)


def test_public_app_without_pkce_redirects_with_invalid_request(server, public_app, issuer):
    r = Browser(server).authorize(**_params(public_app))
    _assert_error_redirect(r, "invalid_request", issuer)


@pytest.mark.parametrize("method", ["S512", "s256", "SHA256", ""])
def test_bad_code_challenge_method_redirects_with_invalid_request(server, app, issuer, method):
    _, challenge = pkce_pair("S256")
    r = Browser(server).authorize(**_params(app, code_challenge=challenge,
                                            code_challenge_method=method))
    _assert_error_redirect(r, "invalid_request", issuer)


def test_too_short_code_challenge_redirects_with_invalid_request(server, app, issuer):
    r = Browser(server).authorize(**_params(app, code_challenge="abc",
                                            code_challenge_method="S256"))
    _assert_error_redirect(r, "invalid_request", issuer)


def test_error_redirect_without_state_has_no_state(server, app, issuer):
    r = Browser(server).authorize(**_params(app, state=None, response_type="token"))
    q = _assert_error_redirect(r, "unsupported_response_type", issuer, state=None)
    assert "state" not in q


def test_error_redirect_keeps_the_query_of_the_registered_uri(server, issuer):
    base = "https://app.example.com/cb?tenant=7"
    app = create_app(server, redirect_uris=[base])
    r = Browser(server).authorize(client_id=app["client_id"], response_type="token",
                                  redirect_uri=base, state="k")
    assert r.status_code == 302, describe(r)
    loc = r.headers["Location"]
    assert loc.startswith("https://app.example.com/cb?"), loc
    q = query_of(loc)
    assert q["tenant"] == "7" and q["error"] == "unsupported_response_type" and q["state"] == "k"


# --------------------------------------------------------------------------- login and consent

def test_without_a_session_the_browser_goes_to_login_then_back(server, app, user):
    b = Browser(server)
    params = _params(app, scope="read_content", state="back-again")
    r = b.authorize(**params)
    assert r.status_code == 302, describe(r)
    loc = urllib.parse.urlsplit(r.headers["Location"])
    assert loc.path == "/login" and not loc.netloc, r.headers["Location"]
    nxt = query_of(r.headers["Location"])["next"]
    assert nxt.startswith("/oauth/authorize?"), nxt
    assert query_of(nxt)["client_id"] == app["client_id"]
    assert query_of(nxt)["state"] == "back-again"

    page = b.follow(r)
    assert page.status_code == 200, describe(page)
    form = find_form(page, "/login")
    assert form.method == "post"
    assert {"csrf", "next", "email", "password"} <= set(form.fields), form
    assert form.fields["next"] == nxt
    assert form.fields["csrf"] and form.fields["csrf"] == b.cookie("jeton_csrf")

    r = b.post("/login", data=dict(form.fields, email=user["email"], password=PASSWORD))
    assert r.status_code == 303, describe(r)
    assert r.headers["Location"] == nxt
    assert b.cookie("jeton_session"), "no session cookie after login"
    consent = b.follow(r)
    assert consent.status_code == 200, describe(consent)
    find_form(consent, "/oauth/authorize")


def test_login_and_session_cookies_are_httponly_and_samesite(server, user):
    b = Browser(server)
    page = b.login_page()
    form = find_form(page, "/login")
    r = b.post("/login", data=dict(form.fields, email=user["email"], password=PASSWORD))
    assert r.status_code == 303, describe(r)
    cookies = r.raw.headers.getlist("Set-Cookie") + page.raw.headers.getlist("Set-Cookie")
    assert any(c.startswith("jeton_session=") for c in cookies), cookies
    for c in cookies:
        assert "HttpOnly" in c and "SameSite=Lax" in c, c


def test_consent_page_names_the_app_and_the_scopes(server, app, user):
    b = Browser(server)
    page = b.consent(user["email"], PASSWORD,
                     **_params(app, scope="read_content write_content"))
    text = page_text(page.text)
    assert "Gallery Importer" in text
    assert "read_content" in text and "write_content" in text
    form = find_form(page, "/oauth/authorize")
    assert form.method == "post"
    assert form.fields.get("csrf") == b.cookie("jeton_csrf")
    buttons = {(name, value) for name, value, _ in form.buttons}
    assert {("decision", "allow"), ("decision", "deny")} <= buttons, form.buttons
    offered = {int(v) for v, _ in form.selects.get("space_id", [])}
    assert offered == {s["id"] for s in user["spaces"]}, form.selects


def test_consent_page_asks_only_for_the_scope_requested(server, app, user):
    page = Browser(server).consent(user["email"], PASSWORD, **_params(app, scope="read_content"))
    assert "write_content" not in page_text(page.text)


def test_consent_page_cannot_be_framed(server, app, user):
    page = Browser(server).consent(user["email"], PASSWORD, **_params(app))
    assert page.headers.get("X-Frame-Options", "").upper() == "DENY", page.headers
    csp = page.headers.get("Content-Security-Policy", "")
    directives = {d.strip().split()[0]: d.strip().split()[1:] for d in csp.split(";") if d.strip()}
    assert directives.get("frame-ancestors") == ["'none'"], csp
    assert "unsafe-inline" not in csp, csp
    assert page.headers.get("Referrer-Policy") == "no-referrer", page.headers


def test_login_page_has_the_security_headers(server):
    page = Browser(server).login_page()
    assert page.headers.get("X-Frame-Options", "").upper() == "DENY"
    assert "frame-ancestors 'none'" in page.headers.get("Content-Security-Policy", "")


def test_allow_redirects_with_code_state_space_and_iss(server, app, user, issuer):
    space = user["spaces"][1]
    flow = authorize_code(server, app, user, space_id=space["id"], state="s-1")
    q = flow["params"]
    assert flow["location"].startswith(REDIRECT + "?"), flow["location"]
    assert_token(q["code"], "jtk_")
    assert q["state"] == "s-1"
    assert q["space_id"] == str(space["id"])
    assert q["iss"] == issuer


def test_allow_to_the_second_registered_redirect_uri(server, app, user):
    flow = authorize_code(server, app, user, redirect_uri=REDIRECT_2)
    assert flow["location"].startswith(REDIRECT_2 + "?"), flow["location"]
    assert flow["params"].get("code")


@pytest.mark.parametrize("state", [
    "a b&c=d+e%f/g?h#i'j\"k<l>m\\n;o,p",
    "ünïcödé-☃",
    "x" * 512,
    "=&=&",
])
def test_state_comes_back_exactly(server, app, user, state):
    flow = authorize_code(server, app, user, state=state)
    assert flow["params"]["state"] == state
    deny = authorize_code(server, app, user, state=state, decision="deny",
                          browser=flow["browser"])
    assert deny["params"]["state"] == state


def test_a_second_authorization_needs_no_new_login(server, app, user):
    flow = authorize_code(server, app, user)
    r = flow["browser"].authorize(**_params(app))
    assert r.status_code == 200, describe(r)
    find_form(r, "/oauth/authorize")


def test_deny_redirects_with_access_denied(server, app, user, issuer):
    flow = authorize_code(server, app, user, decision="deny", state="no-thanks")
    q = flow["params"]
    assert flow["location"].startswith(REDIRECT + "?")
    assert q["error"] == "access_denied"
    assert q["state"] == "no-thanks"
    assert q["iss"] == issuer
    assert "code" not in q


# --------------------------------------------------------------------------- CSRF

@pytest.mark.parametrize("csrf", [None, "", "wrong-value", "A" * 32])
def test_consent_post_without_the_right_csrf_is_refused(server, app, user, csrf):
    b = Browser(server)
    page = b.consent(user["email"], PASSWORD, **_params(app))
    r = b.decide(page, decision="allow", csrf=csrf)   # None: no csrf field at all
    assert r.status_code == 403, describe(r)
    assert "code=" not in r.headers.get("Location", "")


def test_consent_post_from_another_site_without_cookies_is_refused(server, app, user):
    b = Browser(server)
    page = b.consent(user["email"], PASSWORD, **_params(app))
    form = find_form(page, "/oauth/authorize")
    data = dict(form.fields, decision="allow", space_id=str(user["space"]["id"]))
    stranger = Browser(server)          # no cookies at all, but the form's csrf value
    r = stranger.post("/oauth/authorize", data=data)
    assert r.status_code == 403, describe(r)
    assert "code=" not in r.headers.get("Location", "")


def test_login_post_without_csrf_is_refused(server, user):
    b = Browser(server)
    form = find_form(b.login_page(), "/login")
    data = dict(form.fields, email=user["email"], password=PASSWORD)
    data.pop("csrf")
    r = b.post("/login", data=data)
    assert r.status_code == 403, describe(r)
    assert not b.cookie("jeton_session")
    r = b.post("/login", data=dict(data, csrf="x" * len(form.fields["csrf"])))
    assert r.status_code == 403, describe(r)
    assert not b.cookie("jeton_session")


# --------------------------------------------------------------------------- spaces

def test_a_space_the_user_is_not_a_member_of_is_refused(server, app, user):
    foreign = add_space(server)
    b = Browser(server)
    page = b.consent(user["email"], PASSWORD, **_params(app))
    r = b.decide(page, decision="allow", space_id=foreign["id"])
    assert 400 <= r.status_code < 500, describe(r)
    assert "code=" not in r.headers.get("Location", ""), r.headers
    r = b.decide(page, decision="allow", space_id="not-a-number")
    assert 400 <= r.status_code < 500, describe(r)
    assert "code=" not in r.headers.get("Location", ""), r.headers


def test_a_user_without_spaces_cannot_allow(server, app):
    loner = add_user(server)
    b = Browser(server)
    page = b.consent(loner["email"], PASSWORD, **_params(app))
    form = find_form(page, "/oauth/authorize")
    assert not form.selects.get("space_id"), form
    r = b.decide(page, decision="allow", space_id=1)
    assert "code=" not in r.headers.get("Location", ""), describe(r)


# --------------------------------------------------------------------------- failed logins

def _normalised_login_failure(server, email, password):
    b = Browser(server)
    form = find_form(b.login_page("/console"), "/login")
    r = b.post("/login", data=dict(form.fields, email=email, password=password))
    text = page_text(r.text).replace(email, "EMAIL")
    return r, text, b


def test_failed_login_shows_an_error_that_does_not_say_whether_the_account_exists(server):
    known = add_user(server)
    r1, t1, b1 = _normalised_login_failure(server, known["email"], "wrong-password-123")
    r2, t2, b2 = _normalised_login_failure(server, unique_email("nobody"), "wrong-password-123")
    for r, b in ((r1, b1), (r2, b2)):
        assert 400 <= r.status_code < 500, describe(r)
        assert "Location" not in r.headers
        assert not b.cookie("jeton_session")
        find_form(r, "/login")        # the form again
    assert r1.status_code == r2.status_code
    assert t1 == t2, f"the two failures differ:\n{t1}\n{t2}"
    assert "incorrect" in t1.lower() or "wrong" in t1.lower() or "invalid" in t1.lower(), t1


def test_login_is_throttled_after_three_failures_for_one_account(server, app):
    # an account waits 1, 2, 4 ... s after its third failure (docs/api.md, Password guesses)
    victim = member(server)
    bystander = member(server)
    for i in range(3):
        r, _, _ = _normalised_login_failure(server, victim["email"], f"bad-guess-{i}-xxxx")
        assert r.status_code != 429, f"throttled after only {i} failures"
    r, text, b = _normalised_login_failure(server, victim["email"], PASSWORD)
    assert r.status_code == 429, describe(r)
    assert int(r.headers["Retry-After"]) >= 1, r.headers
    assert not b.cookie("jeton_session"), "throttled login still opened a session"
    assert "Location" not in r.headers
    # the account's email in other case is the same account
    r, _, _ = _normalised_login_failure(server, victim["email"].upper(), PASSWORD)
    assert r.status_code == 429, describe(r)
    # another account from the same address still logs in
    flow = authorize_code(server, app, bystander)
    assert flow["params"].get("code")

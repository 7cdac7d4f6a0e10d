# SPDX-License-Identifier: MIT
"""Helpers for the OAuth end-to-end tests: apps, users with passwords, a browser without a
browser (requests.Session + the login and consent HTML forms), PKCE and token requests.

Nothing here talks to anything but the jeton server under test on 127.0.0.1; the redirect
URIs point at 127.0.0.1:9 (discard), which is never contacted: the tests read the Location
header of the redirect instead of following it.
"""
import base64
import hashlib
import re
import secrets
import urllib.parse
from html.parser import HTMLParser

import requests

from conftest import HTTP_TIMEOUT, checksum_ok, cli_ok, describe, unique, unique_email

PASSWORD = "Correct-Horse-42-battery"      # 12-1024 bytes, no character that needs quoting
REDIRECT = "http://127.0.0.1:9/cb"        # loopback http: allowed; never contacted
REDIRECT_2 = "http://localhost:9/other"
TOKEN_RE = {p: re.compile(rf"^{p}[0-9A-Za-z]{{38}}$")
            for p in ("jtp_", "jto_", "jtr_", "jtc_", "jts_", "jtk_")}


def assert_token(value, prefix):
    """value is a well-formed jeton token of that kind (prefix, base62, CRC32 checksum)."""
    assert isinstance(value, str) and TOKEN_RE[prefix].match(value), \
        f"expected a {prefix} token, got {value!r}"
    assert checksum_ok(value), f"bad checksum in {value!r}"


# --------------------------------------------------------------------------- HTML forms

class Form:
    def __init__(self, action, method):
        self.action = action
        self.method = (method or "get").lower()
        self.fields = {}      # input name -> value (hidden, text, email, password...)
        self.selects = {}     # select name -> [(value, label)]
        self.buttons = []     # [(name, value, label)]

    def __repr__(self):
        return (f"Form(action={self.action!r}, fields={self.fields!r}, "
                f"selects={self.selects!r}, buttons={self.buttons!r})")


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None
        self._select = None
        self._option = None
        self._button = None
        self.text = []

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method"))
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "input" and "name" in a:
            if a.get("type", "text").lower() in ("submit", "button", "image"):
                self._form.buttons.append((a["name"], a.get("value", ""), ""))
            else:
                self._form.fields[a["name"]] = a.get("value", "")
        elif tag == "select" and "name" in a:
            self._select = a["name"]
            self._form.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), ""]
        elif tag == "button":
            self._button = [a.get("name"), a.get("value", ""), ""]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value, label = self._option
            self._form.selects[self._select].append(
                (value if value is not None else label.strip(), label.strip()))
            self._option = None
        elif tag == "button" and self._button is not None and self._form is not None:
            name, value, label = self._button
            self._form.buttons.append((name, value, label.strip()))
            self._button = None

    def handle_data(self, data):
        self.text.append(data)
        if self._option is not None:
            self._option[1] += data
        if self._button is not None:
            self._button[2] += data


def parse_forms(html_text):
    p = _FormParser()
    p.feed(html_text)
    p.close()
    return p.forms


def page_text(html_text):
    """The visible text of a page, whitespace collapsed."""
    p = _FormParser()
    p.feed(html_text)
    p.close()
    return " ".join(" ".join(p.text).split())


def find_form(resp, action):
    """The one form of the page that posts to action (a path)."""
    forms = [f for f in parse_forms(resp.text)
             if urllib.parse.urlsplit(f.action).path == action]
    assert len(forms) == 1, \
        f"expected one form posting to {action}, found {forms}: {describe(resp)}"
    return forms[0]


# --------------------------------------------------------------------------- users, spaces, apps

def add_user(server, email=None, password=PASSWORD, name=None, admin=False):
    """`jeton user add EMAIL --password-stdin --permanent-password`: a user who signs in with
    password at once (an admin-set password is otherwise one-time, docs/cli.md); returns
    {"id", "email", "password"}."""
    email = email or unique_email()
    args = ["user", "add", email, "--password-stdin", "--permanent-password"]
    if name:
        args += ["--name", name]
    if admin:
        args.append("--admin")
    p = cli_ok(server.cli(*args, input=password + "\n"))
    first = p.stdout.strip().splitlines()[0]
    m = re.search(r"\d+", first)
    assert m, f"user add printed {p.stdout!r}"
    return {"id": int(m.group(0)), "email": email, "password": password}


def admin_browser(server):
    """A new instance admin, signed in to the console: their Browser."""
    admin = add_user(server, admin=True)
    b = Browser(server)
    assert b.login(admin["email"], admin["password"]).status_code == 303
    return b


def add_space(server, name=None):
    """`jeton space add NAME`: returns {"id", "name"}."""
    name = name or unique("space")
    p = cli_ok(server.cli("space", "add", name))
    m = re.search(r"\d+", p.stdout)
    assert m, f"space add printed {p.stdout!r}"
    return {"id": int(m.group(0)), "name": name}


def grant(server, space, email, role):
    """`jeton space grant SPACE EMAIL ROLE` (SPACE: a name or an id)."""
    cli_ok(server.cli("space", "grant", str(space), email, role))


def member(server, role="editor", spaces=1, name=None):
    """A new user (password PASSWORD) with `role` in `spaces` new spaces."""
    user = add_user(server, name=name)
    user["spaces"] = []
    for _ in range(spaces):
        space = add_space(server)
        grant(server, space["name"], user["email"], role)
        user["spaces"].append(space)
    user["space"] = user["spaces"][0] if user["spaces"] else None
    return user


def create_app(server, token=None, **body):
    """POST /v1/apps with an admin token; asserts 201; returns the app (with client_secret)."""
    body.setdefault("name", unique("app"))
    r = server.post("/v1/apps", token or server.admin_token, json=body)
    assert r.status_code == 201, describe(r)
    return r.json()


def code_app(server, **body):
    """A confidential app for the code grant with REDIRECT (and REDIRECT_2) registered."""
    body.setdefault("redirect_uris", [REDIRECT, REDIRECT_2])
    body.setdefault("scopes", ["read_content", "write_content"])
    return create_app(server, **body)


# --------------------------------------------------------------------------- PKCE

def pkce_pair(method="S256"):
    """(verifier, challenge) per RFC 7636."""
    verifier = secrets.token_urlsafe(48)[:64]
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    else:
        challenge = verifier
    return verifier, challenge


# --------------------------------------------------------------------------- the browser

def query_of(location):
    """The query parameters of a URL as a dict of single values (each must appear once)."""
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query, keep_blank_values=True)
    for k, v in q.items():
        assert len(v) == 1, f"parameter {k} repeated in {location!r}"
    return {k: v[0] for k, v in q.items()}


class Browser:
    """A user agent without JavaScript: a requests.Session that does not follow redirects."""

    def __init__(self, server, session=None):
        self.server = server
        self.s = session if session is not None else requests.Session()

    def url(self, path_or_url):
        return urllib.parse.urljoin(self.server.url + "/", path_or_url)

    def get(self, path, **kw):
        kw.setdefault("timeout", HTTP_TIMEOUT)
        kw.setdefault("allow_redirects", False)
        return self.s.get(self.url(path), **kw)

    def post(self, path, **kw):
        kw.setdefault("timeout", HTTP_TIMEOUT)
        kw.setdefault("allow_redirects", False)
        return self.s.post(self.url(path), **kw)

    def follow(self, resp):
        assert resp.status_code in (301, 302, 303, 307), describe(resp)
        return self.get(resp.headers["Location"])

    def cookie(self, name):
        return self.s.cookies.get(name)

    def authorize(self, **params):
        """GET /oauth/authorize with these query parameters (None values left out)."""
        return self.get("/oauth/authorize",
                        params={k: v for k, v in params.items() if v is not None})

    def login_page(self, next_path=None):
        r = self.get("/login", params={"next": next_path} if next_path else None)
        assert r.status_code == 200, describe(r)
        return r

    def login(self, email, password, next_path=None):
        """GET /login, then POST its form with email and password; the POST's response."""
        page = self.login_page(next_path)
        form = find_form(page, "/login")
        data = dict(form.fields)
        data.update(email=email, password=password)
        return self.post(form.action, data=data)

    def consent(self, email, password, **params):
        """GET /oauth/authorize; log in when sent to /login; returns the consent page."""
        return self.consent_after(self.authorize(**params), email, password)

    def consent_at(self, url, email, password):
        """GET an authorization URL made by a client library; the consent page."""
        return self.consent_after(self.get(url), email, password)

    def consent_after(self, r, email, password):
        if r.status_code == 302 and urllib.parse.urlsplit(r.headers["Location"]).path == "/login":
            login_page = self.follow(r)
            assert login_page.status_code == 200, describe(login_page)
            form = find_form(login_page, "/login")
            data = dict(form.fields)
            data.update(email=email, password=password)
            r = self.post(form.action, data=data)
            assert r.status_code == 303, f"login failed: {describe(r)}"
            r = self.follow(r)
        assert r.status_code == 200, f"no consent page: {describe(r)}"
        return r

    def decide(self, consent_page, decision="allow", space_id=None, **overrides):
        """Submit the consent form with a decision (the POST's response, a redirect)."""
        form = find_form(consent_page, "/oauth/authorize")
        data = dict(form.fields)
        if space_id is None and form.selects.get("space_id"):
            space_id = form.selects["space_id"][0][0]
        if space_id is not None:
            data["space_id"] = str(space_id)
        data["decision"] = decision
        for k, v in overrides.items():
            if v is None:
                data.pop(k, None)
            else:
                data[k] = v
        return self.post(form.action, data=data)


def authorize_code(server, app, user, browser=None, decision="allow", space_id=None,
                   pkce=None, **params):
    """Run the whole authorize flow; returns a dict: location, params (the redirect's query),
    code, verifier, redirect_uri (as sent, or None), browser.

    pkce: None, "S256" or "plain". params: extra authorize parameters (scope, state,
    redirect_uri...; redirect_uri defaults to REDIRECT, pass redirect_uri=None to omit it)."""
    browser = browser or Browser(server)
    params.setdefault("redirect_uri", REDIRECT)
    params.setdefault("response_type", "code")
    verifier = None
    if pkce:
        verifier, challenge = pkce_pair(pkce)
        params.update(code_challenge=challenge, code_challenge_method=pkce)
    page = browser.consent(user["email"], user["password"], client_id=app["client_id"], **params)
    if space_id is None and user.get("space"):
        space_id = user["space"]["id"]
    r = browser.decide(page, decision=decision, space_id=space_id)
    assert r.status_code == 302, f"consent did not redirect: {describe(r)}"
    location = r.headers["Location"]
    return {"location": location, "params": query_of(location),
            "code": query_of(location).get("code"), "verifier": verifier,
            "redirect_uri": params.get("redirect_uri"), "browser": browser, "response": r}


# --------------------------------------------------------------------------- the token endpoint

def token_post(server, data, client=None, auth="basic", headers=None):
    """POST /oauth/token (form-encoded). client: an app dict (client_id, client_secret?).
    auth: "basic" (HTTP Basic), "post" (form fields), "id" (client_id alone) or None."""
    data = {k: v for k, v in dict(data).items() if v is not None}
    basic = None
    if client is not None:
        if auth == "basic" and client.get("client_secret"):
            basic = (client["client_id"], client["client_secret"])
        elif auth == "post" and client.get("client_secret"):
            data.update(client_id=client["client_id"], client_secret=client["client_secret"])
        elif auth in ("id", "basic", "post"):
            data["client_id"] = client["client_id"]
    return requests.post(server.url + "/oauth/token", data=data, auth=basic, headers=headers,
                         timeout=HTTP_TIMEOUT, allow_redirects=False)


def exchange(server, app, flow, auth="basic", **extra):
    """Exchange the code of an authorize_code() result at /oauth/token."""
    data = {"grant_type": "authorization_code", "code": flow["code"],
            "redirect_uri": flow["redirect_uri"], "code_verifier": flow["verifier"]}
    data.update(extra)
    return token_post(server, data, client=app, auth=auth if app.get("client_secret") else "id")


def tokens(server, app, user, auth="basic", **params):
    """Authorize and exchange; asserts 200 and returns the token response's JSON."""
    pkce = params.pop("pkce", "S256" if app.get("type") == "public" else None)
    flow = authorize_code(server, app, user, pkce=pkce, **params)
    assert "code" in flow["params"], f"no code in {flow['location']!r}"
    r = exchange(server, app, flow, auth=auth)
    assert r.status_code == 200, describe(r)
    return r.json()


def refresh(server, app, refresh_token, auth="basic", **extra):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    data.update(extra)
    return token_post(server, data, client=app, auth=auth if app.get("client_secret") else "id")


def client_token(server, app, auth="basic", **extra):
    data = {"grant_type": "client_credentials"}
    data.update(extra)
    return token_post(server, data, client=app, auth=auth)


def oauth_form(server, path, data, client=None, auth="basic"):
    """POST a form to /oauth/introspect or /oauth/revoke with client authentication."""
    data = dict(data)
    basic = None
    if client is not None:
        if auth == "basic" and client.get("client_secret"):
            basic = (client["client_id"], client["client_secret"])
        elif auth == "post" and client.get("client_secret"):
            data.update(client_id=client["client_id"], client_secret=client["client_secret"])
        else:
            data["client_id"] = client["client_id"]
    return requests.post(server.url + path, data=data, auth=basic, timeout=HTTP_TIMEOUT,
                         allow_redirects=False)


def introspect(server, client, token, **kw):
    return oauth_form(server, "/oauth/introspect", {"token": token}, client=client, **kw)


def revoke(server, client, token, **extra):
    data = {"token": token}
    data.update(extra)
    return oauth_form(server, "/oauth/revoke", data, client=client)


def assert_oauth_error(resp, status, error):
    """An RFC 6749 §5.2 error: status, JSON {error, error_description?}; returns the body."""
    assert resp.status_code == status, describe(resp)
    assert "application/json" in resp.headers.get("Content-Type", ""), describe(resp)
    body = resp.json()
    assert body.get("error") == error, describe(resp)
    assert "access_token" not in body, describe(resp)
    return body


def me_status(server, token):
    return server.get("/v1/me", token=token).status_code


def refused_after_cache(server, token):
    """True if /v1/me refuses the token (401) once the cache lifetime has passed."""
    server.after_cache()
    return me_status(server, token) == 401


def metadata(server):
    r = server.get("/.well-known/oauth-authorization-server")
    assert r.status_code == 200, describe(r)
    return r.json()

# SPDX-License-Identifier: MIT
"""GET and HEAD never change anything: HEAD is served as GET, and the console's actions (revoke,
rotate, delete an app, a new client secret) happen only on a POST that carries the CSRF token.
A signed-in browser that is tricked into a GET or HEAD of an action URL only sees its
confirmation page."""
import pytest
import requests

from conftest import HTTP_TIMEOUT, assert_error, describe
from oauth_helpers import Browser, add_user, client_token, create_app

READS = ("HEAD", "GET")


@pytest.fixture(scope="module")
def admin(server):
    """An instance admin signed in to the console, and a PAT of theirs."""
    user = add_user(server, admin=True)
    b = Browser(server)
    r = b.login(user["email"], user["password"])
    assert r.status_code == 303, describe(r)
    user["browser"] = b
    user["token"] = server.create_token(user["email"])
    return user


def _read(admin, method, path):
    """A GET or HEAD of path in the signed-in browser, without any CSRF token."""
    return admin["browser"].s.request(method, admin["browser"].url(path), timeout=HTTP_TIMEOUT,
                                      allow_redirects=False)


@pytest.mark.parametrize("method", READS)
@pytest.mark.parametrize("action", ("revoke", "rotate"))
def test_get_or_head_of_a_token_action_leaves_the_token_working(server, admin, method, action):
    pat = server.create_pat(admin["token"])
    r = _read(admin, method, f"/console/tokens/{pat['id']}/{action}")
    assert r.status_code == 200, describe(r)   # the confirmation page
    assert server.token_works(pat["token"]), f"{method} {action} changed the token"
    listed = server.get("/v1/users/me/access_tokens?limit=100", admin["token"]).json()
    names = [t["name"] for t in listed["items"]]
    assert names.count(pat["name"]) == 1, f"{method} {action} made a new token: {names}"


@pytest.mark.parametrize("method", READS)
def test_get_or_head_of_app_delete_leaves_the_app(server, admin, method):
    app = create_app(server, admin["token"], scopes=["read_content"])
    r = _read(admin, method, f"/console/apps/{app['id']}/delete")
    assert r.status_code == 200, describe(r)
    r = server.get(f"/v1/apps/{app['id']}", admin["token"])
    assert r.status_code == 200, f"{method} deleted the app: {describe(r)}"


@pytest.mark.parametrize("method", READS)
def test_get_or_head_of_new_app_secret_keeps_the_secret(server, admin, method):
    app = create_app(server, admin["token"], scopes=["read_content"])
    r = _read(admin, method, f"/console/apps/{app['id']}/secret")
    assert r.status_code == 200, describe(r)
    r = client_token(server, app)
    assert r.status_code == 200, f"{method} replaced the client secret: {describe(r)}"


def test_head_is_answered_as_get_without_a_body(server, admin):
    r = requests.head(server.url + "/v1/me", headers={"Authorization": f"Bearer {admin['token']}"},
                      timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, describe(r)
    assert r.content == b""


def test_head_of_a_post_only_path_is_405(server):
    r = requests.head(server.url + "/oauth/token", timeout=HTTP_TIMEOUT)
    assert r.status_code == 405, describe(r)
    assert "POST" in r.headers.get("Allow", ""), r.headers


def test_console_action_with_another_method_is_refused(server, admin):
    """A console action path takes GET (the confirmation page) and POST (the action) only."""
    pat = server.create_pat(admin["token"])
    r = _read(admin, "PUT", f"/console/tokens/{pat['id']}/revoke")
    assert_error(r, 405, "method_not_allowed")
    assert server.token_works(pat["token"])

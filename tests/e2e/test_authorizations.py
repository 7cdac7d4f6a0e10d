# SPDX-License-Identifier: MIT
"""Authorized apps (issue 14, part 1): a user lists the apps holding a live grant from
them (GET /v1/users/me/authorizations) and revokes one with every token it holds
(DELETE /v1/users/me/authorizations/{app_id}[?space=]), in the API and the console."""
import pytest

from conftest import describe, parse_time, poll
from oauth_helpers import (Browser, add_space, assert_oauth_error, authorize_code, code_app,
                           exchange, find_form, grant, me_status, member, page_text, refresh,
                           tokens)


@pytest.fixture
def user(server):
    u = member(server, role="editor", spaces=2, name="Ada Grants")
    u["pat"] = server.create_token(u["email"], scopes=["manage_tokens"])
    return u


def grants_of(server, user):
    r = server.get("/v1/users/me/authorizations", token=user["pat"])
    assert r.status_code == 200, describe(r)
    return r.json()["items"]


def test_lists_each_authorized_app_with_its_space_scopes_times_and_live_tokens(server, user):
    app_a = code_app(server, name="Alpha Reader")
    app_b = code_app(server, name="Beta Writer")
    tokens(server, app_a, user, scope="read_content")
    tokens(server, app_a, user, scope="read_content write_content")
    tokens(server, app_b, user, scope="write_content")
    other = member(server, name="Someone Else")
    tokens(server, app_b, other)

    items = grants_of(server, user)
    assert sorted(g["app_name"] for g in items) == ["Alpha Reader", "Beta Writer"], items
    a = next(g for g in items if g["app_id"] == app_a["id"])
    assert a["client_id"] == app_a["client_id"]
    assert a["space_id"] == user["space"]["id"] and a["space_name"] == user["space"]["name"]
    assert sorted(a["scopes"]) == ["read_content", "write_content"]
    assert a["live_tokens"] == 4  # two access and two refresh tokens
    first, last = parse_time(a["first_authorized_at"]), parse_time(a["last_used_at"])
    assert first <= last


def test_last_used_follows_the_use_of_an_access_token(server, user):
    app = code_app(server)
    t = tokens(server, app, user)
    before = parse_time(next(g for g in grants_of(server, user)
                             if g["app_id"] == app["id"])["last_used_at"])
    server.advance(300)
    assert me_status(server, t["access_token"]) == 200

    def moved():
        g = next(g for g in grants_of(server, user) if g["app_id"] == app["id"])
        return (parse_time(g["last_used_at"]) - before).total_seconds() >= 300
    assert poll(moved), grants_of(server, user)


def test_revoking_an_app_kills_every_token_of_its_grant_and_only_those(server, user):
    app = code_app(server)
    kept_app = code_app(server)
    first = tokens(server, app, user)
    second = tokens(server, app, user)
    kept = tokens(server, kept_app, user)

    r = server.delete(f"/v1/users/me/authorizations/{app['id']}", token=user["pat"])
    assert r.status_code == 200, describe(r)
    assert r.json()["revoked_tokens"] == 4

    for t in (first, second):
        assert me_status(server, t["access_token"]) == 401
        assert_oauth_error(refresh(server, app, t["refresh_token"]), 400, "invalid_grant")
    assert me_status(server, kept["access_token"]) == 200
    assert [g["app_id"] for g in grants_of(server, user)] == [kept_app["id"]]

    assert poll(lambda: any(f"app {app['id']} " in e["target"]
                            for e in server.audit_events("authorization.revoked")))


def test_revoking_in_one_space_keeps_the_grant_in_another(server, user):
    app = code_app(server)
    s1, s2 = user["spaces"]
    in_s1 = tokens(server, app, user, space_id=s1["id"])
    in_s2 = tokens(server, app, user, space_id=s2["id"])
    assert len([g for g in grants_of(server, user) if g["app_id"] == app["id"]]) == 2

    r = server.delete(f"/v1/users/me/authorizations/{app['id']}", token=user["pat"],
                      params={"space": s1["id"]})
    assert r.status_code == 200, describe(r)
    assert me_status(server, in_s1["access_token"]) == 401
    assert me_status(server, in_s2["access_token"]) == 200
    left = [g for g in grants_of(server, user) if g["app_id"] == app["id"]]
    assert [g["space_id"] for g in left] == [s2["id"]]


def test_a_code_issued_before_the_revocation_cannot_be_redeemed_after_it(server, user):
    app = code_app(server)
    tokens(server, app, user)
    pending = authorize_code(server, app, user)
    r = server.delete(f"/v1/users/me/authorizations/{app['id']}", token=user["pat"])
    assert r.status_code == 200, describe(r)
    assert_oauth_error(exchange(server, app, pending), 400, "invalid_grant")


def test_another_users_grant_is_not_found(server, user):
    app = code_app(server)
    other = member(server)
    t = tokens(server, app, other)
    r = server.delete(f"/v1/users/me/authorizations/{app['id']}", token=user["pat"])
    assert r.status_code == 404, describe(r)
    assert me_status(server, t["access_token"]) == 200


def test_an_oauth_token_cannot_list_the_users_grants_without_manage_tokens(server, user):
    app = code_app(server)
    t = tokens(server, app, user)
    r = server.get("/v1/users/me/authorizations", token=t["access_token"])
    assert r.status_code == 403, describe(r)


def test_console_lists_authorized_apps_and_revokes_one_with_its_csrf_token(server, user):
    app = code_app(server, name="Console Gamma")
    t = tokens(server, app, user)
    b = Browser(server)
    assert b.login(user["email"], user["password"]).status_code == 303
    page = b.get("/console/authorizations")
    assert page.status_code == 200, describe(page)
    assert "Console Gamma" in page_text(page.text)
    action = f"/console/authorizations/{app['id']}/{user['space']['id']}/revoke"
    form = find_form(page, action)

    forged = b.post(action, data={"csrf": "x" * 32})
    assert forged.status_code == 403, describe(forged)
    assert me_status(server, t["access_token"]) == 200

    r = b.post(action, data=dict(form.fields))
    assert r.status_code == 303, describe(r)
    assert me_status(server, t["access_token"]) == 401
    assert "Console Gamma" not in page_text(b.follow(r).text)


def test_the_consent_page_links_to_authorized_apps(server, user):
    app = code_app(server)
    page = Browser(server).consent(user["email"], user["password"],
                                   client_id=app["client_id"], response_type="code",
                                   redirect_uri=app["redirect_uris"][0])
    assert 'href="/console/authorizations"' in page.text

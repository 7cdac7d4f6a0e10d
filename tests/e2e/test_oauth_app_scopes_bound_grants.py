# SPDX-License-Identifier: MIT
"""Narrowing an app's scopes narrows every grant it holds at once: a token's effective scopes
are its own ∩ the app's current ones, when it is verified (API, forward auth, introspection) and
when it is refreshed (the new tokens carry only the intersection)."""
import pytest

from conftest import assert_403_scope, describe, unique
from oauth_helpers import (assert_oauth_error, client_token, code_app, create_app, introspect,
                           member, refresh, tokens)


@pytest.fixture(scope="module")
def user(server):
    return member(server, role="editor", name="Nora Narrow")


@pytest.fixture(scope="module")
def resource_server(server):
    return code_app(server, name=unique("rs"), introspect=True)


def _verify(server, token, space, scope):
    return server.get(f"/auth/verify?space={space}&scope={scope}", token)


def _narrow(server, app, scopes):
    r = server.patch(f"/v1/apps/{app['id']}", server.admin_token, json={"scopes": scopes})
    assert r.status_code == 200, describe(r)


def test_narrowing_an_app_narrows_its_tokens_and_refreshes(server, user, resource_server):
    app = code_app(server, name=unique("narrowed"))
    space = user["space"]["id"]
    t = tokens(server, app, user, scope="read_content write_content")
    assert _verify(server, t["access_token"], space, "write_content").status_code == 200

    _narrow(server, app, ["read_content"])

    # the old access token: refused for the removed scope, still good for the other
    assert_403_scope(_verify(server, t["access_token"], space, "write_content"), "write_content")
    assert _verify(server, t["access_token"], space, "read_content").status_code == 200
    assert introspect(server, resource_server, t["access_token"]).json()["scope"] == \
        "read_content"
    assert introspect(server, resource_server, t["refresh_token"]).json()["scope"] == \
        "read_content"
    # the refresh yields only what the app may still have
    r = refresh(server, app, t["refresh_token"])
    assert r.status_code == 200, describe(r)
    fresh = r.json()
    assert fresh["scope"] == "read_content", fresh
    assert introspect(server, resource_server, fresh["access_token"]).json()["scope"] == \
        "read_content"
    assert_403_scope(_verify(server, fresh["access_token"], space, "write_content"),
                     "write_content")
    # and no refresh can ask for the removed scope back
    assert_oauth_error(refresh(server, app, fresh["refresh_token"], scope="write_content"),
                       400, "invalid_scope")


def test_an_app_narrowed_to_nothing_of_a_grant_cannot_refresh_it(server, user):
    app = code_app(server, name=unique("emptied"))
    t = tokens(server, app, user, scope="write_content")
    _narrow(server, app, ["read_content"])
    assert_oauth_error(refresh(server, app, t["refresh_token"]), 400, "invalid_grant")
    assert introspect(server, app, t["refresh_token"]).json() == {"active": False}


def test_narrowing_a_machine_client_narrows_its_token(server, resource_server):
    app = create_app(server, name=unique("machine"), scopes=["read_content", "write_content"])
    token = client_token(server, app).json()["access_token"]
    _narrow(server, app, ["read_content"])
    assert introspect(server, resource_server, token).json()["scope"] == "read_content"
    assert_403_scope(server.get("/auth/verify?scope=write_content", token), "write_content")

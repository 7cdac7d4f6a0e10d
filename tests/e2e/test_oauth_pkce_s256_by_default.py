# SPDX-License-Identifier: MIT
"""PKCE is S256 unless an app is registered for plain (RFC 9700 §2.1.1): /oauth/authorize refuses
code_challenge_method=plain, and a challenge without a method (which RFC 7636 reads as plain),
from every app that does not have allow_pkce_plain; discovery advertises S256 alone."""
import pytest

from conftest import describe, unique
from oauth_helpers import (REDIRECT, Browser, authorize_code, code_app, create_app, exchange,
                           member, metadata, pkce_pair, query_of)


@pytest.fixture(scope="module")
def public_app(server):
    return create_app(server, name=unique("public"), public=True, redirect_uris=[REDIRECT])


@pytest.fixture(scope="module")
def confidential_app(server):
    return code_app(server, name=unique("confidential"))


@pytest.fixture(scope="module")
def plain_app(server):
    return create_app(server, name=unique("legacy"), public=True, redirect_uris=[REDIRECT],
                      allow_pkce_plain=True)


@pytest.fixture(scope="module")
def user(server):
    return member(server, role="editor", name="Pia Pkce")


def _authorize(server, app, **pkce):
    return Browser(server).authorize(client_id=app["client_id"], response_type="code",
                                     redirect_uri=REDIRECT, state="s-1", **pkce)


def _assert_refused(resp, words):
    """An invalid_request error sent back to the client, saying words; no code."""
    assert resp.status_code == 302, describe(resp)
    q = query_of(resp.headers["Location"])
    assert q.get("error") == "invalid_request", q
    assert words in q.get("error_description", ""), q
    assert "code" not in q and q.get("state") == "s-1", q


@pytest.mark.parametrize("which", ["public_app", "confidential_app"])
def test_plain_is_refused_for_an_app_not_registered_for_it(server, request, which):
    verifier, _ = pkce_pair("plain")
    r = _authorize(server, request.getfixturevalue(which), code_challenge=verifier,
                   code_challenge_method="plain")
    _assert_refused(r, "S256")


@pytest.mark.parametrize("which", ["public_app", "confidential_app"])
def test_a_challenge_without_a_method_is_refused_for_an_app_not_registered_for_plain(
        server, request, which):
    _, challenge = pkce_pair("S256")
    r = _authorize(server, request.getfixturevalue(which), code_challenge=challenge)
    _assert_refused(r, "code_challenge_method is required")


def test_s256_works_for_every_app(server, public_app, user):
    flow = authorize_code(server, public_app, user, pkce="S256")
    assert exchange(server, public_app, flow).status_code == 200


def test_an_app_registered_for_plain_may_use_plain(server, plain_app, user):
    flow = authorize_code(server, plain_app, user, pkce="plain")
    r = exchange(server, plain_app, flow)
    assert r.status_code == 200, describe(r)
    assert server.token_works(r.json()["access_token"])


def test_an_app_registered_for_plain_may_leave_the_method_out(server, plain_app, user):
    verifier, _ = pkce_pair("plain")
    flow = authorize_code(server, plain_app, user, code_challenge=verifier)
    flow["verifier"] = verifier
    assert exchange(server, plain_app, flow).status_code == 200


def test_the_plain_allowance_can_be_taken_away(server, user):
    app = create_app(server, name=unique("was-legacy"), public=True, redirect_uris=[REDIRECT],
                     allow_pkce_plain=True)
    r = server.patch(f"/v1/apps/{app['id']}", server.admin_token, json={"allow_pkce_plain": False})
    assert r.status_code == 200 and r.json()["allow_pkce_plain"] is False, describe(r)
    verifier, _ = pkce_pair("plain")
    _assert_refused(_authorize(server, app, code_challenge=verifier,
                               code_challenge_method="plain"), "S256")


def test_discovery_advertises_s256_only(server):
    assert metadata(server)["code_challenge_methods_supported"] == ["S256"]

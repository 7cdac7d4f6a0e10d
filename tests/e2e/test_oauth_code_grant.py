# SPDX-License-Identifier: MIT
"""The authorization code grant at POST /oauth/token: client authentication (Basic and
post), the token response, PKCE, code replay, binding to the redirect URI and the client,
and the RFC 6749 §5.2 errors."""
import base64

import pytest

import requests

from conftest import HTTP_TIMEOUT, describe, make_token, parse_www_authenticate, unique
from oauth_helpers import (REDIRECT, REDIRECT_2, assert_oauth_error, assert_token,
                           authorize_code, code_app, create_app, exchange, me_status, member,
                           pkce_pair, refresh, refused_after_cache, token_post)



@pytest.fixture(scope="module")
def app(server):
    return code_app(server, name="Code Client")


@pytest.fixture(scope="module")
def other_app(server):
    return code_app(server, name="Another Client")


@pytest.fixture(scope="module")
def public_app(server):
    return create_app(server, name=unique("public"), public=True, redirect_uris=[REDIRECT],
                      scopes=["read_content", "write_content"])


@pytest.fixture(scope="module")
def plain_apps(server):
    """Apps registered for PKCE plain (allow_pkce_plain): public and confidential."""
    return {"public": create_app(server, name=unique("public-plain"), public=True,
                                 redirect_uris=[REDIRECT], allow_pkce_plain=True,
                                 scopes=["read_content", "write_content"]),
            "confidential": code_app(server, name=unique("plain"), allow_pkce_plain=True)}


@pytest.fixture(scope="module")
def user(server):
    return member(server, role="editor", name="Grace Code")


def _assert_token_response(r, scope=None, refresh_expected=True):
    assert r.status_code == 200, describe(r)
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers
    assert "application/json" in r.headers.get("Content-Type", ""), r.headers
    body = r.json()
    assert_token(body["access_token"], "jto_")
    assert body["token_type"].lower() == "bearer" and body["token_type"] == "Bearer", body
    assert body["expires_in"] == 900, body
    if refresh_expected:
        assert_token(body["refresh_token"], "jtr_")
    else:
        assert "refresh_token" not in body, body
    if scope is not None:
        assert set(body["scope"].split()) == set(scope.split()), body
    return body


# --------------------------------------------------------------------------- full flows

def test_confidential_client_with_client_secret_basic(server, app, user):
    flow = authorize_code(server, app, user, scope="read_content write_content")
    r = exchange(server, app, flow, auth="basic")
    body = _assert_token_response(r, scope="read_content write_content")
    assert int(body["space_id"]) == user["space"]["id"], body
    me = server.get("/v1/me", token=body["access_token"])
    assert me.status_code == 200, describe(me)
    assert me.json()["user"]["id"] == user["id"]
    assert me.json()["user"]["email"] == user["email"]


def test_confidential_client_with_client_secret_post(server, app, user):
    flow = authorize_code(server, app, user, scope="read_content")
    r = exchange(server, app, flow, auth="post")
    body = _assert_token_response(r, scope="read_content")
    assert server.token_works(body["access_token"])


def test_default_scope_is_every_scope_of_the_app(server, app, user):
    flow = authorize_code(server, app, user)
    body = _assert_token_response(exchange(server, app, flow))
    assert set(body["scope"].split()) == {"read_content", "write_content"}


def test_access_ttl_of_the_app_is_expires_in(server, user):
    short = code_app(server, access_ttl=120)
    flow = authorize_code(server, short, user)
    r = exchange(server, short, flow)
    assert r.status_code == 200, describe(r)
    assert r.json()["expires_in"] == 120


def test_app_without_refresh_grant_gets_no_refresh_token(server, user):
    no_refresh = code_app(server, grants=["authorization_code"])
    flow = authorize_code(server, no_refresh, user)
    _assert_token_response(exchange(server, no_refresh, flow), refresh_expected=False)


def test_app_with_refresh_ttl_zero_gets_no_refresh_token(server, user):
    no_refresh = code_app(server, refresh_ttl=0)
    flow = authorize_code(server, no_refresh, user)
    _assert_token_response(exchange(server, no_refresh, flow), refresh_expected=False)


def test_redirect_uri_may_be_left_out_when_the_app_has_exactly_one(server, user):
    single = code_app(server, redirect_uris=[REDIRECT])
    flow = authorize_code(server, single, user, redirect_uri=None)
    assert flow["location"].startswith(REDIRECT + "?"), flow["location"]
    assert flow["redirect_uri"] is None
    _assert_token_response(exchange(server, single, flow))


def test_storyblok_style_token_request(server, app, user):
    """The seed's form: grant_type, code, client_id, client_secret, redirect_uri in the body."""
    flow = authorize_code(server, app, user, scope="read_content write_content",
                          state="4f1c8a2e-1d6b-4c3a-9a51-0d2c7f6b8e90")
    r = token_post(server, {"grant_type": "authorization_code", "code": flow["code"],
                            "client_id": app["client_id"], "client_secret": app["client_secret"],
                            "redirect_uri": REDIRECT})
    body = _assert_token_response(r)
    assert server.get("/v1/me", auth=f"Bearer {body['access_token']}").status_code == 200


# --------------------------------------------------------------------------- PKCE

def test_public_client_with_pkce_s256(server, public_app, user):
    flow = authorize_code(server, public_app, user, pkce="S256")
    r = exchange(server, public_app, flow)
    body = _assert_token_response(r)
    assert server.token_works(body["access_token"])


def test_public_client_registered_for_plain_with_pkce_plain(server, plain_apps, user):
    flow = authorize_code(server, plain_apps["public"], user, pkce="plain")
    r = exchange(server, plain_apps["public"], flow)
    body = _assert_token_response(r)
    assert server.token_works(body["access_token"])


def test_confidential_client_with_pkce_s256(server, app, user):
    flow = authorize_code(server, app, user, pkce="S256")
    _assert_token_response(exchange(server, app, flow))


def test_pkce_challenge_without_method_means_plain_for_an_app_registered_for_it(
        server, plain_apps, user):
    verifier, _ = pkce_pair("plain")
    flow = authorize_code(server, plain_apps["confidential"], user, code_challenge=verifier)
    flow["verifier"] = verifier
    _assert_token_response(exchange(server, plain_apps["confidential"], flow))


def test_wrong_verifier_is_invalid_grant(server, public_app, user):
    flow = authorize_code(server, public_app, user, pkce="S256")
    other, _ = pkce_pair("S256")
    assert_oauth_error(exchange(server, public_app, flow, code_verifier=other),
                       400, "invalid_grant")


def test_s256_challenge_with_the_challenge_as_verifier_is_invalid_grant(server, app, user):
    verifier, challenge = pkce_pair("S256")
    flow = authorize_code(server, app, user, code_challenge=challenge,
                          code_challenge_method="S256")
    assert_oauth_error(exchange(server, app, flow, code_verifier=challenge), 400, "invalid_grant")


def test_missing_verifier_is_invalid_grant(server, public_app, user):
    flow = authorize_code(server, public_app, user, pkce="S256")
    flow["verifier"] = None
    assert_oauth_error(exchange(server, public_app, flow), 400, "invalid_grant")


def test_verifier_without_challenge_is_invalid_grant(server, app, user):
    flow = authorize_code(server, app, user)
    verifier, _ = pkce_pair("S256")
    assert_oauth_error(exchange(server, app, flow, code_verifier=verifier), 400, "invalid_grant")


def test_public_client_cannot_send_a_secret(server, public_app, user):
    flow = authorize_code(server, public_app, user, pkce="S256")
    r = exchange(server, public_app, flow, client_secret=make_token("jts_"))
    assert_oauth_error(r, 401, "invalid_client")


# --------------------------------------------------------------------------- single use

def test_code_replay_is_refused_and_revokes_the_tokens_of_the_first_exchange(server, app, user):
    flow = authorize_code(server, app, user)
    first = _assert_token_response(exchange(server, app, flow))
    assert server.token_works(first["access_token"])
    assert_oauth_error(exchange(server, app, flow), 400, "invalid_grant")
    assert refused_after_cache(server, first["access_token"]), \
        "access token of a replayed code still works"
    assert_oauth_error(refresh(server, app, first["refresh_token"]), 400, "invalid_grant")


def test_code_replay_does_not_touch_other_grants(server, app, user):
    keep = _assert_token_response(exchange(server, app, authorize_code(server, app, user)))
    flow = authorize_code(server, app, user)
    exchange(server, app, flow)
    exchange(server, app, flow)
    assert me_status(server, keep["access_token"]) == 200


def test_redirect_uri_mismatch_is_invalid_grant(server, app, user):
    flow = authorize_code(server, app, user, redirect_uri=REDIRECT)
    assert_oauth_error(exchange(server, app, flow, redirect_uri=REDIRECT_2), 400, "invalid_grant")


def test_redirect_uri_left_out_at_the_token_endpoint_is_refused(server, app, user):
    flow = authorize_code(server, app, user, redirect_uri=REDIRECT)
    flow["redirect_uri"] = None
    r = exchange(server, app, flow)
    assert r.status_code == 400, describe(r)
    assert r.json()["error"] in ("invalid_grant", "invalid_request"), describe(r)


def test_code_used_by_another_client_is_invalid_grant(server, app, other_app, user):
    flow = authorize_code(server, app, user)
    assert_oauth_error(exchange(server, other_app, flow), 400, "invalid_grant")


def test_garbage_and_unknown_codes_are_invalid_grant(server, app):
    for code in ("nope", make_token("jtk_"), make_token("jto_")):
        r = token_post(server, {"grant_type": "authorization_code", "code": code,
                                "redirect_uri": REDIRECT}, client=app)
        assert_oauth_error(r, 400, "invalid_grant")


def test_missing_code_is_invalid_request(server, app):
    r = token_post(server, {"grant_type": "authorization_code", "redirect_uri": REDIRECT},
                   client=app)
    assert_oauth_error(r, 400, "invalid_request")


def test_code_expires_after_60_seconds(server, app, user):
    flow = authorize_code(server, app, user)
    server.advance(61)
    assert_oauth_error(exchange(server, app, flow), 400, "invalid_grant")


def test_code_is_still_good_58_seconds_later(server, app, user):
    flow = authorize_code(server, app, user)
    # not 59: the server reads its clock in whole seconds and real time runs on, so the
    # second may turn between the code's issue and its exchange (1 in 50 runs under load)
    server.advance(58)
    r = exchange(server, app, flow)
    assert r.status_code == 200, describe(r)


# --------------------------------------------------------------------------- client auth errors

def test_wrong_secret_with_basic_is_401_invalid_client_with_a_basic_challenge(server, app, user):
    flow = authorize_code(server, app, user)
    wrong = dict(app, client_secret=make_token("jts_"))
    r = exchange(server, wrong, flow, auth="basic")
    assert_oauth_error(r, 401, "invalid_client")
    scheme, _ = parse_www_authenticate(r.headers.get("WWW-Authenticate"))
    assert scheme == "basic", r.headers
    # the code was not spent by a client that failed to authenticate
    _assert_token_response(exchange(server, app, flow))


def test_wrong_secret_with_post_is_401_invalid_client(server, app, user):
    flow = authorize_code(server, app, user)
    wrong = dict(app, client_secret=make_token("jts_"))
    assert_oauth_error(exchange(server, wrong, flow, auth="post"), 401, "invalid_client")


def test_unknown_client_is_401_invalid_client(server):
    ghost = {"client_id": "no-such-client-000000", "client_secret": make_token("jts_")}
    r = token_post(server, {"grant_type": "authorization_code", "code": make_token("jtk_"),
                            "redirect_uri": REDIRECT}, client=ghost, auth="basic")
    assert_oauth_error(r, 401, "invalid_client")
    assert parse_www_authenticate(r.headers.get("WWW-Authenticate"))[0] == "basic"


def test_no_client_authentication_is_401_invalid_client(server):
    r = token_post(server, {"grant_type": "authorization_code", "code": make_token("jtk_"),
                            "redirect_uri": REDIRECT})
    assert_oauth_error(r, 401, "invalid_client")


def test_malformed_basic_header_is_401_invalid_client(server):
    r = token_post(server, {"grant_type": "authorization_code", "code": make_token("jtk_")},
                   headers={"Authorization": "Basic !!!not-base64!!!"})
    assert_oauth_error(r, 401, "invalid_client")
    raw = base64.b64encode(b"no-colon-here").decode()
    r = token_post(server, {"grant_type": "authorization_code", "code": make_token("jtk_")},
                   headers={"Authorization": f"Basic {raw}"})
    assert_oauth_error(r, 401, "invalid_client")


# --------------------------------------------------------------------------- request errors

@pytest.mark.parametrize("grant", ["password", "implicit", "AUTHORIZATION_CODE",
                                   "urn:ietf:params:oauth:grant-type:jwt-bearer"])
def test_unsupported_grant_type(server, app, grant):
    r = token_post(server, {"grant_type": grant}, client=app)
    assert_oauth_error(r, 400, "unsupported_grant_type")


def test_missing_grant_type_is_invalid_request(server, app):
    r = token_post(server, {"code": make_token("jtk_")}, client=app)
    assert_oauth_error(r, 400, "invalid_request")


def test_non_form_body_is_invalid_request(server, app, user):
    flow = authorize_code(server, app, user)
    r = requests.post(server.url + "/oauth/token", timeout=HTTP_TIMEOUT,
                      auth=(app["client_id"], app["client_secret"]),
                      json={"grant_type": "authorization_code", "code": flow["code"],
                            "redirect_uri": REDIRECT})
    assert_oauth_error(r, 400, "invalid_request")


def test_repeated_parameter_is_invalid_request(server, app, user):
    flow = authorize_code(server, app, user)
    body = (f"grant_type=authorization_code&code={flow['code']}&code={flow['code']}"
            f"&redirect_uri={REDIRECT}")
    r = requests.post(server.url + "/oauth/token", data=body, timeout=HTTP_TIMEOUT,
                      auth=(app["client_id"], app["client_secret"]),
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_oauth_error(r, 400, "invalid_request")


def test_error_responses_are_not_cached(server, app):
    r = token_post(server, {"grant_type": "password"}, client=app)
    assert r.status_code == 400
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers


def test_get_on_the_token_endpoint_is_not_allowed(server):
    r = server.get("/oauth/token?grant_type=client_credentials")
    assert r.status_code == 405, describe(r)
    assert "POST" in r.headers.get("Allow", ""), r.headers

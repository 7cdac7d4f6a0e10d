# SPDX-License-Identifier: MIT
"""The flows driven by unmodified OAuth client libraries from Debian, used as their
documentation says: authlib's requests_client.OAuth2Session (code + PKCE S256, refresh,
client_credentials with client_secret_basic and client_secret_post, revoke, introspect; a
public client) and requests-oauthlib's OAuth2Session (BackendApplicationClient for
client_credentials; the web application flow).

The user's part (login and consent) is played by a second requests session that reads the
HTML forms; the libraries only see the authorization URL and the callback URL."""
import pytest

authlib_requests = pytest.importorskip("authlib.integrations.requests_client")
authlib_security = pytest.importorskip("authlib.common.security")
oauthlib_oauth2 = pytest.importorskip("oauthlib.oauth2")
requests_oauthlib = pytest.importorskip("requests_oauthlib")

from conftest import HTTP_TIMEOUT, describe, unique        # noqa: E402
from oauth_helpers import (REDIRECT, Browser, assert_token, code_app, create_app,  # noqa: E402
                           member, metadata, query_of, refused_after_cache)

AuthlibSession = authlib_requests.OAuth2Session
OAuthError = authlib_requests.OAuthError
generate_token = authlib_security.generate_token
BackendApplicationClient = oauthlib_oauth2.BackendApplicationClient
OAuthlibSession = requests_oauthlib.OAuth2Session


@pytest.fixture(autouse=True)
def insecure_transport_on_loopback(monkeypatch):
    """Both libraries refuse http:// unless told that this is a test on localhost."""
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


@pytest.fixture(scope="module")
def meta(server):
    return metadata(server)


@pytest.fixture(scope="module")
def app(server):
    return code_app(server, name="Authlib App", redirect_uris=[REDIRECT])


@pytest.fixture(scope="module")
def machine(server):
    return create_app(server, name="Machine", scopes=["read_content", "write_content"])


@pytest.fixture(scope="module")
def user(server):
    return member(server, role="editor", name="Library User")


def _user_allows(server, url, user):
    """The user's browser: open the authorization URL, log in, allow; the callback URL."""
    b = Browser(server)
    page = b.consent_at(url, user["email"], user["password"])
    r = b.decide(page, decision="allow", space_id=user["space"]["id"])
    assert r.status_code == 302, describe(r)
    return r.headers["Location"]


def _authlib_code_flow(server, meta, app, user, **session_kw):
    client = AuthlibSession(app["client_id"], app.get("client_secret"),
                            scope="read_content write_content", redirect_uri=REDIRECT,
                            code_challenge_method="S256", default_timeout=HTTP_TIMEOUT,
                            **session_kw)
    verifier = generate_token(48)
    url, state = client.create_authorization_url(meta["authorization_endpoint"],
                                                 code_verifier=verifier)
    assert query_of(url)["code_challenge_method"] == "S256"
    callback = _user_allows(server, url, user)
    assert callback.startswith(REDIRECT + "?"), callback
    assert query_of(callback)["state"] == state
    token = client.fetch_token(meta["token_endpoint"], authorization_response=callback,
                               code_verifier=verifier)
    return client, token


def test_authlib_authorization_code_with_pkce(server, meta, app, user):
    client, token = _authlib_code_flow(server, meta, app, user,
                                       token_endpoint_auth_method="client_secret_basic")
    assert_token(token["access_token"], "jto_")
    assert_token(token["refresh_token"], "jtr_")
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 900
    r = client.get(server.url + "/v1/me")
    assert r.status_code == 200, describe(r)
    assert r.json()["user"]["email"] == user["email"]
    r = client.get(server.url + "/oauth/user_info")
    assert r.status_code == 200, describe(r)
    assert r.json()["space"]["id"] == user["space"]["id"]


def test_authlib_code_flow_with_client_secret_post(server, meta, app, user):
    client, token = _authlib_code_flow(server, meta, app, user,
                                       token_endpoint_auth_method="client_secret_post")
    assert client.get(server.url + "/v1/me").status_code == 200


def test_authlib_public_client_with_pkce(server, meta, user):
    public = create_app(server, name=unique("public"), public=True, redirect_uris=[REDIRECT],
                        scopes=["read_content", "write_content"])
    client, token = _authlib_code_flow(server, meta, public, user,
                                       token_endpoint_auth_method="none")
    assert_token(token["access_token"], "jto_")
    old_refresh = token["refresh_token"]
    new = client.refresh_token(meta["token_endpoint"])
    assert new["refresh_token"] != old_refresh       # public clients rotate
    assert client.get(server.url + "/v1/me").status_code == 200


def test_authlib_refresh_token(server, meta, app, user):
    client, token = _authlib_code_flow(server, meta, app, user)
    new = client.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
    assert new["access_token"] != token["access_token"]
    assert_token(new["access_token"], "jto_")
    assert client.token["access_token"] == new["access_token"]
    r = client.get(server.url + "/v1/me")
    assert r.status_code == 200, describe(r)


def test_authlib_refresh_with_a_rotated_out_token_raises_invalid_grant(server, meta, app, user):
    client, token = _authlib_code_flow(server, meta, app, user)
    client.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
    server.advance(31)  # past the app's grace window, where a retry gets the same successor
    with pytest.raises(OAuthError) as err:
        client.refresh_token(meta["token_endpoint"], refresh_token=token["refresh_token"])
    assert err.value.error == "invalid_grant"


def test_authlib_revoke_token(server, meta, app, user):
    client, token = _authlib_code_flow(server, meta, app, user)
    r = client.revoke_token(meta["revocation_endpoint"], token=token["access_token"],
                            token_type_hint="access_token")
    assert r.status_code == 200, describe(r)
    assert refused_after_cache(server, token["access_token"])


def test_authlib_revoke_refresh_token_ends_the_grant(server, meta, app, user):
    client, token = _authlib_code_flow(server, meta, app, user)
    r = client.revoke_token(meta["revocation_endpoint"], token=token["refresh_token"],
                            token_type_hint="refresh_token")
    assert r.status_code == 200, describe(r)
    assert refused_after_cache(server, token["access_token"])


def test_authlib_introspect_token(server, meta, app, user):
    client, token = _authlib_code_flow(server, meta, app, user)
    r = client.introspect_token(meta["introspection_endpoint"], token=token["access_token"])
    assert r.status_code == 200, describe(r)
    body = r.json()
    assert body["active"] is True
    assert body["client_id"] == app["client_id"]
    assert str(body["sub"]) == str(user["id"])
    client.revoke_token(meta["revocation_endpoint"], token=token["access_token"])
    r = client.introspect_token(meta["introspection_endpoint"], token=token["access_token"])
    assert r.json() == {"active": False}


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_authlib_client_credentials(server, meta, machine, method):
    client = AuthlibSession(machine["client_id"], machine["client_secret"],
                            token_endpoint_auth_method=method, default_timeout=HTTP_TIMEOUT)
    token = client.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    assert_token(token["access_token"], "jtc_")
    assert "refresh_token" not in token
    r = client.get(server.url + "/v1/me")
    assert r.status_code == 200, describe(r)
    assert r.json()["user"] is None


def test_authlib_client_credentials_with_a_scope(server, meta, machine):
    client = AuthlibSession(machine["client_id"], machine["client_secret"], scope="read_content",
                            default_timeout=HTTP_TIMEOUT)
    token = client.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    assert token["scope"] == "read_content"


def test_authlib_client_credentials_wrong_secret_raises_invalid_client(server, meta, machine):
    client = AuthlibSession(machine["client_id"], "jts_wrong", default_timeout=HTTP_TIMEOUT)
    with pytest.raises(OAuthError) as err:
        client.fetch_token(meta["token_endpoint"], grant_type="client_credentials")
    assert err.value.error == "invalid_client"


def test_requests_oauthlib_backend_application_client(server, meta, machine):
    client = BackendApplicationClient(client_id=machine["client_id"])
    oauth = OAuthlibSession(client=client)
    token = oauth.fetch_token(token_url=meta["token_endpoint"], client_id=machine["client_id"],
                              client_secret=machine["client_secret"], timeout=HTTP_TIMEOUT)
    assert_token(token["access_token"], "jtc_")
    assert token["token_type"] == "Bearer"
    r = oauth.get(server.url + "/v1/me", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, describe(r)
    assert r.json()["user"] is None


def test_requests_oauthlib_backend_application_client_with_credentials_in_the_body(
        server, meta, machine):
    client = BackendApplicationClient(client_id=machine["client_id"])
    oauth = OAuthlibSession(client=client)
    token = oauth.fetch_token(token_url=meta["token_endpoint"], client_id=machine["client_id"],
                              client_secret=machine["client_secret"], include_client_id=True,
                              timeout=HTTP_TIMEOUT)
    assert_token(token["access_token"], "jtc_")
    assert oauth.get(server.url + "/v1/me", timeout=HTTP_TIMEOUT).status_code == 200


def test_requests_oauthlib_web_application_flow(server, meta, app, user):
    oauth = OAuthlibSession(app["client_id"], redirect_uri=REDIRECT,
                            scope=["read_content", "write_content"])
    url, state = oauth.authorization_url(meta["authorization_endpoint"])
    callback = _user_allows(server, url, user)
    token = oauth.fetch_token(meta["token_endpoint"], client_secret=app["client_secret"],
                              authorization_response=callback, timeout=HTTP_TIMEOUT)
    assert_token(token["access_token"], "jto_")
    r = oauth.get(server.url + "/oauth/user_info", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, describe(r)
    assert r.json()["user"]["id"] == user["id"]
    new = oauth.refresh_token(meta["token_endpoint"], client_id=app["client_id"],
                              client_secret=app["client_secret"], timeout=HTTP_TIMEOUT)
    assert new["access_token"] != token["access_token"]
    assert oauth.get(server.url + "/v1/me", timeout=HTTP_TIMEOUT).status_code == 200

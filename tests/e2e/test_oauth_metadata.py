# SPDX-License-Identifier: MIT
"""GET /.well-known/oauth-authorization-server (RFC 8414): the issuer, every endpoint as an
absolute URL under it, grants, client authentication methods, PKCE methods, scopes; and
the issuer set with --issuer is the one the server announces and sends back as iss."""
import urllib.parse

import pytest

from conftest import ALL_SCOPES, Server, describe
from oauth_helpers import Browser, code_app, metadata

ENDPOINTS = {
    "authorization_endpoint": "/oauth/authorize",
    "token_endpoint": "/oauth/token",
    "revocation_endpoint": "/oauth/revoke",
    "introspection_endpoint": "/oauth/introspect",
}


@pytest.fixture(scope="module")
def meta(server):
    return metadata(server)


def test_served_as_json_without_a_token(server):
    r = server.get("/.well-known/oauth-authorization-server")
    assert r.status_code == 200, describe(r)
    assert "application/json" in r.headers.get("Content-Type", "")


def test_issuer_is_an_absolute_url_without_query_or_fragment(server, meta):
    issuer = meta["issuer"]
    u = urllib.parse.urlsplit(issuer)
    assert u.scheme in ("http", "https") and u.netloc, issuer
    assert not u.query and not u.fragment, issuer
    assert not issuer.endswith("/"), issuer


def test_default_issuer_is_the_listening_address(server, meta):
    assert meta["issuer"] == server.url


@pytest.mark.parametrize("key,path", sorted(ENDPOINTS.items()))
def test_every_endpoint_is_an_absolute_url_under_the_issuer(server, meta, key, path):
    assert meta[key] == meta["issuer"] + path, meta


def test_user_info_endpoint_is_listed(meta):
    assert meta["issuer"] + "/oauth/user_info" in meta.values(), meta


def test_the_listed_endpoints_exist(server, meta):
    for key in ENDPOINTS:
        path = urllib.parse.urlsplit(meta[key]).path
        r = server.get(path) if key == "authorization_endpoint" else server.post(path, data={})
        assert r.status_code != 404, f"{key}: {describe(r)}"


def test_grants(meta):
    assert {"authorization_code", "refresh_token", "client_credentials"} \
        <= set(meta["grant_types_supported"])
    assert "password" not in meta["grant_types_supported"]
    assert "implicit" not in meta["grant_types_supported"]


def test_response_types(meta):
    assert meta["response_types_supported"] == ["code"]


def test_client_authentication_methods(meta):
    assert {"client_secret_basic", "client_secret_post", "none"} \
        <= set(meta["token_endpoint_auth_methods_supported"])


def test_introspection_and_revocation_methods_if_listed(meta):
    if "introspection_endpoint_auth_methods_supported" in meta:
        methods = set(meta["introspection_endpoint_auth_methods_supported"])
        assert {"client_secret_basic", "client_secret_post"} <= methods
        assert "none" not in methods      # public clients cannot introspect
    if "revocation_endpoint_auth_methods_supported" in meta:
        assert {"client_secret_basic", "client_secret_post", "none"} \
            <= set(meta["revocation_endpoint_auth_methods_supported"])


def test_pkce_methods(meta):
    # plain is for apps registered to use it (allow_pkce_plain), not for any client
    assert meta["code_challenge_methods_supported"] == ["S256"]


def test_scopes(meta):
    assert ALL_SCOPES <= set(meta["scopes_supported"]), meta["scopes_supported"]


def test_configured_issuer_is_announced_and_returned_as_iss(tmp_path):
    issuer = "https://auth.example.test"
    s = Server(tmp_path / "issuer", extra_args=["--issuer", issuer])
    s.start()
    try:
        meta = metadata(s)
        assert meta["issuer"] == issuer
        for key, path in ENDPOINTS.items():
            assert meta[key] == issuer + path
        app = code_app(s)
        r = Browser(s).authorize(client_id=app["client_id"], response_type="token",
                                 redirect_uri=app["redirect_uris"][0], state="x")
        assert r.status_code == 302, describe(r)
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.headers["Location"]).query)
        assert q["iss"] == [issuer]
    finally:
        s.finish()

# SPDX-License-Identifier: MIT
"""The seed documents' own curl examples, run with the real curl, adapted only in host/path.

000 Storyblok:  curl -H "Authorization: YOUR_PERSONAL_ACCESS_TOKEN" https://mapi.storyblok.com/
                curl -H "Authorization: Bearer YOUR_OAUTH_ACCESS_TOKEN" https://mapi.storyblok.com/
002 Contentful: POST .../users/me/access_tokens {name, scopes}; GET list and one; PUT .../revoked
003 Apinizer:   curl -X GET "https://demo.apinizer.com/apiops/projects/" -H "Authorization: Bearer ..."
                a test endpoint that needs no token; expired/revoked tokens get 401
"""
import json
import subprocess

import pytest

from conftest import ADMIN_EMAIL, TOKEN_RE, checksum_ok

CURL_TIMEOUT = 30


def curl(*args):
    """Run the real curl; returns (http status, body text)."""
    p = subprocess.run(["curl", *args, "-w", "\n%{http_code}"], capture_output=True,
                       text=True, timeout=CURL_TIMEOUT)
    assert p.returncode == 0, f"curl {args} exited {p.returncode}: {p.stderr}"
    body, _, status = p.stdout.rpartition("\n")
    return int(status), body


@pytest.fixture(scope="module")
def pat(server):
    return server.create_token(ADMIN_EMAIL, name="seed-examples")


def test_storyblok_personal_access_token_without_bearer(server, pat):
    # curl -H "Authorization: YOUR_PERSONAL_ACCESS_TOKEN" https://mapi.storyblok.com/
    status, body = curl("-H", f"Authorization: {pat}", f"{server.url}/v1/me")
    assert status == 200, body
    me = json.loads(body)
    assert me["user"]["email"] == ADMIN_EMAIL
    assert me["token"]["kind"] == "pat" and me["token"]["name"] == "seed-examples"


def test_storyblok_bearer_form(server, pat):
    # curl -H "Authorization: Bearer YOUR_OAUTH_ACCESS_TOKEN" https://mapi.storyblok.com/
    status, body = curl("-H", f"Authorization: Bearer {pat}", f"{server.url}/v1/me")
    assert status == 200, body
    assert json.loads(body)["user"]["email"] == ADMIN_EMAIL


def test_storyblok_placeholder_left_in_is_refused_with_401(server):
    status, body = curl("-H", "Authorization: YOUR_PERSONAL_ACCESS_TOKEN", f"{server.url}/v1/me")
    assert status == 401, body
    assert json.loads(body)["error"] == "invalid_token"


def test_apinizer_get_with_bearer(server, pat):
    # curl -X GET "https://demo.apinizer.com/apiops/projects/" -H "Authorization: Bearer eyJ..."
    status, body = curl("-X", "GET", f"{server.url}/v1/me", "-H", f"Authorization: Bearer {pat}")
    assert status == 200, body
    assert json.loads(body)["user"]["email"] == ADMIN_EMAIL


def test_apinizer_test_endpoint_needs_no_token(server):
    status, body = curl("-X", "GET", f"{server.url}/v1/ping")
    assert status == 200, body
    assert json.loads(body)["ok"] is True


def test_apinizer_missing_token_gets_401_json(server):
    status, body = curl("-X", "GET", f"{server.url}/v1/me")
    assert status == 401, body
    err = json.loads(body)
    assert err["error"] == "invalid_token" and err["error_description"]


def test_contentful_create_list_get_and_revoke_with_curl(server, pat):
    base = f"{server.url}/v1/users/me/access_tokens"
    # create: the response has the token, the only time it is shown
    status, body = curl("-X", "POST", "-H", f"Authorization: Bearer {pat}",
                        "-H", "Content-Type: application/json",
                        "-d", '{"name": "My Token", "scopes": ["manage_tokens"]}', base)
    assert status == 201, body
    created = json.loads(body)
    token = created["token"]
    assert TOKEN_RE.match(token) and checksum_ok(token)
    assert created["name"] == "My Token" and created["scopes"] == ["manage_tokens"]
    # the new token works, sent the Storyblok way
    status, body = curl("-H", f"Authorization: {token}", f"{server.url}/v1/me")
    assert status == 200, body
    # list and get: name, scopes and metadata, never the token
    status, body = curl("-H", f"Authorization: Bearer {pat}", base)
    assert status == 200, body
    assert token not in body and token[8:] not in body
    assert created["id"] in [t["id"] for t in json.loads(body)["items"]]
    status, body = curl("-H", f"Authorization: Bearer {pat}", f"{base}/{created['id']}")
    assert status == 200, body
    assert token[8:] not in body
    got = json.loads(body)
    assert got["name"] == "My Token" and got["scopes"] == ["manage_tokens"]
    # revoke: PUT .../revoked
    status, body = curl("-X", "PUT", "-H", f"Authorization: Bearer {pat}",
                        f"{base}/{created['id']}/revoked")
    assert status == 200, body
    assert json.loads(body)["status"] == "revoked"
    # Apinizer: "Once revoked, the token cannot be used for API requests." -> 401
    status, body = curl("-X", "GET", f"{server.url}/v1/me", "-H", f"Authorization: Bearer {token}")
    assert status == 401, body
    assert json.loads(body)["error"] == "invalid_token"

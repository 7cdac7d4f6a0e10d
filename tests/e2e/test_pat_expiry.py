# SPDX-License-Identifier: MIT
"""A token with an expiry works until then and is refused afterwards (API and CLI tokens)."""
import datetime as dt

import pytest

from conftest import assert_401, assert_error, cli_ok, describe, json_lines, rfc3339

BASE = "/v1/users/me/access_tokens"
LIFETIME = 60  # seconds: the clock is moved past it, and the CLI and requests before fit in it


@pytest.fixture(scope="module")
def expiring(server, admin_token):
    """Tokens that expire a minute from now; then the clock moves past their expiry."""
    expires_at = (server.now() + dt.timedelta(seconds=LIFETIME)).replace(microsecond=0)
    api = server.create_pat(admin_token, name="short-lived", scopes=["manage_tokens"],
                            expires_at=rfc3339(expires_at))
    cli_token = server.create_token("admin@localhost", name="short-lived-cli",
                                    scopes=["manage_tokens"], expires=rfc3339(expires_at),
                                    check=False)
    before = {"api": server.get("/v1/me", token=api["token"]),
              "cli": server.get("/v1/me", token=cli_token)}
    server.advance(LIFETIME + 1)    # a second past the expiry
    return {"api": api, "cli_token": cli_token, "expires_at": expires_at, "before": before}


def test_token_works_before_its_expiry(server, expiring):
    r = expiring["before"]["api"]
    assert r.status_code == 200, describe(r)
    assert r.json()["token"]["expires_at"] == rfc3339(expiring["expires_at"])
    r = expiring["before"]["cli"]
    assert r.status_code == 200, f"CLI token with an expiry did not work: {describe(r)}"


def test_expired_token_is_refused_with_invalid_token(server, expiring):
    assert_401(server.get("/v1/me", token=expiring["api"]["token"]))
    assert_401(server.get("/v1/me", auth=expiring["api"]["token"]))


def test_expired_cli_token_is_refused(server, expiring):
    assert_401(server.get("/v1/me", token=expiring["cli_token"]))


def test_expired_token_shows_status_expired(server, admin_token, expiring):
    r = server.get(f"{BASE}/{expiring['api']['id']}", admin_token)
    assert r.status_code == 200, describe(r)
    assert r.json()["status"] == "expired"
    assert r.json()["revoked_at"] is None


def test_expired_token_is_listed_as_expired(server, admin_token, expiring):
    r = server.get(f"{BASE}?limit=100", admin_token)
    assert r.status_code == 200, describe(r)
    found = [t for t in r.json()["items"] if t["id"] == expiring["api"]["id"]]
    assert len(found) == 1 and found[0]["status"] == "expired", found


def test_rotating_an_expired_token_is_a_conflict(server, admin_token, expiring):
    r = server.post(f"{BASE}/{expiring['api']['id']}/rotate", admin_token)
    assert_error(r, 409, "conflict")


def test_cli_lists_the_expired_token_as_expired(server, expiring):
    p = cli_ok(server.cli("token", "list", "--user", "admin@localhost", "--json"))
    tokens = {t["id"]: t for t in json_lines(p.stdout)}
    assert tokens[expiring["api"]["id"]]["status"] == "expired"

# SPDX-License-Identifier: MIT
"""Personal access token rotation with an overlap (issue 16, part 3): with {"overlap": "24h"}
the old secret keeps working beside the new one until the overlap ends (at most 7 days, and
never past its own expiry), then stops; the token list shows both, the old one "rotated" with
the time it stops as its expires_at, and when a deployment last used it. Without an overlap
rotation stays immediate."""
import datetime as dt
import time

import pytest

from conftest import cli_ok, describe, parse_time, rfc3339
from oauth_helpers import Browser, find_form, member, page_text

BASE = "/v1/users/me/access_tokens"
HOUR = 3600
DAY = 24 * HOUR


@pytest.fixture(scope="module")
def root(server):
    """A PAT of an editor with every scope they hold: it makes and rotates the others."""
    return server.create_token(member(server, role="editor", name="Otto Overlap")["email"])


def _rotate(server, root, pat, **body):
    r = server.post(f"{BASE}/{pat['id']}/rotate", root, json=body if body else None)
    assert r.status_code == 201, describe(r)
    return r.json()


def _listed(server, root, token_id):
    r = server.get(BASE, root)
    assert r.status_code == 200, describe(r)
    return next(t for t in r.json()["items"] if t["id"] == token_id)


def _close(when, expected, slack=5):
    assert abs((parse_time(when) - expected).total_seconds()) <= slack, (when, expected)


def test_the_old_secret_works_until_the_overlap_ends(server, root):
    old = server.create_pat(root, scopes=["read_content"])
    new = _rotate(server, root, old, overlap="24h")
    _close(new["previous"]["expires_at"], server.now() + dt.timedelta(hours=24))
    assert new["previous"]["id"] == old["id"]
    assert new["previous"]["status"] == "rotated"
    assert server.token_works(new["token"])
    assert server.token_works(old["token"])
    listed = _listed(server, root, old["id"])
    assert listed["status"] == "rotated"
    assert listed["expires_at"] == new["previous"]["expires_at"]
    assert _listed(server, root, new["id"])["status"] == "active"
    server.advance(24 * HOUR - 60)
    assert server.token_works(old["token"])
    server.advance(61)
    assert server.get("/v1/me", token=old["token"]).status_code == 401
    assert server.token_works(new["token"])


def test_using_the_old_secret_during_the_overlap_is_recorded(server, root):
    old = server.create_pat(root, scopes=["read_content"])
    _rotate(server, root, old, overlap="1h")
    assert _listed(server, root, old["id"])["last_used_at"] is None
    assert server.token_works(old["token"])
    deadline = time.monotonic() + 5
    while _listed(server, root, old["id"])["last_used_at"] is None:
        assert time.monotonic() < deadline, "the old token's use was not recorded"
        time.sleep(0.05)


def test_the_overlap_is_capped_at_seven_days(server, root):
    old = server.create_pat(root, scopes=["read_content"])
    new = _rotate(server, root, old, overlap="30d")
    _close(new["previous"]["expires_at"], server.now() + dt.timedelta(days=7))


def test_the_overlap_never_outlives_the_old_token(server, root):
    expires = rfc3339(server.now() + dt.timedelta(hours=2))
    old = server.create_pat(root, scopes=["read_content"], expires_at=expires)
    new = _rotate(server, root, old, overlap="24h")
    assert parse_time(new["previous"]["expires_at"]) == parse_time(old["expires_at"])
    assert new["expires_at"] == old["expires_at"]


def test_without_an_overlap_rotation_is_immediate(server, root):
    old = server.create_pat(root, scopes=["read_content"])
    new = _rotate(server, root, old)
    assert "previous" not in new
    assert _listed(server, root, old["id"])["status"] == "revoked"
    assert server.get("/v1/me", token=old["token"]).status_code == 401


def test_a_rotated_token_cannot_be_rotated_again(server, root):
    old = server.create_pat(root, scopes=["read_content"])
    _rotate(server, root, old, overlap="1h")
    r = server.post(f"{BASE}/{old['id']}/rotate", root, json={"overlap": "1h"})
    assert r.status_code == 409, describe(r)
    assert server.token_works(old["token"])


def test_an_overlap_that_is_no_duration_is_refused(server, root):
    old = server.create_pat(root, scopes=["read_content"])
    r = server.post(f"{BASE}/{old['id']}/rotate", root, json={"overlap": "soon"})
    assert r.status_code == 400, describe(r)
    assert _listed(server, root, old["id"])["status"] == "active"


def test_the_cli_rotates_with_an_overlap(server, root):
    old = server.create_pat(root, scopes=["read_content"])
    p = cli_ok(server.cli("token", "rotate", str(old["id"]), "--overlap", "2h"))
    new_token = p.stdout.strip()
    assert "keeps working until" in p.stderr
    assert server.token_works(new_token)
    assert server.token_works(old["token"])
    assert _listed(server, root, old["id"])["status"] == "rotated"
    server.advance(2 * HOUR + 1)
    assert server.get("/v1/me", token=old["token"]).status_code == 401


def test_the_console_rotates_with_an_overlap(server):
    user = member(server, role="editor", name="Connie Console")
    old = server.create_token(user["email"], scopes=["read_content"])
    listed = server.get(BASE, server.create_token(user["email"])).json()["items"]
    tid = next(t["id"] for t in listed if t["display_prefix"] == old[:8])
    b = Browser(server)
    assert b.login(user["email"], user["password"]).status_code == 303
    path = f"/console/tokens/{tid}/rotate"
    page = b.get(path)
    assert "In 24 hours" in page_text(page.text)
    form = find_form(page, path)
    r = b.post(path, data={**form.fields, "overlap": "24h"})
    assert r.status_code == 200, describe(r)
    assert "jtp_" in r.text
    assert server.token_works(old)
    tokens_page = page_text(b.get("/console/tokens").text)
    assert "rotated" in tokens_page and "Revoke now" in tokens_page
    server.advance(DAY + 1)
    assert server.get("/v1/me", token=old).status_code == 401

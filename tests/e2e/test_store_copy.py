# SPDX-License-Identifier: MIT
"""`jeton store copy`: everything moves from one store to another, ids kept,
and every token keeps working unchanged: from SQLite to SQLite, and from
SQLite to PostgreSQL (the path a growing deployment takes)."""
import datetime as dt

import pytest
import requests

from conftest import PG_BASE, PgLocation, Server, cli_ok, describe, rfc3339, run_jeton, unique


POLICY = {"pat_max_lifetime": "30d", "pat_require_expiry": True, "require_2fa": None}


def _populate(s):
    """A PAT, a user with a space, a confidential app with a client token, a revocation,
    the instance's token policy (its row is made by the migrations of every store)."""
    pat = s.create_pat(s.admin_token, scopes=["manage_tokens"])
    revoked = s.create_pat(s.admin_token, scopes=["manage_tokens"])
    r = s.put(f"/v1/users/me/access_tokens/{revoked['id']}/revoked", s.admin_token)
    assert r.status_code == 200, describe(r)
    user = s.new_user()
    space = s.new_space()
    s.grant(space["id"], user["id"], "editor")
    r = s.post("/v1/apps", s.admin_token, json={"name": unique("copied"),
                                                "scopes": ["read_content"]})
    assert r.status_code == 201, describe(r)
    app = r.json()
    tok = requests.post(s.url + "/oauth/token", data={"grant_type": "client_credentials"},
                        auth=(app["client_id"], app["client_secret"]), timeout=10)
    assert tok.status_code == 200, describe(tok)
    r = s.put("/v1/policy", s.admin_token, json=POLICY)
    assert r.status_code == 200, describe(r)
    return {"admin": s.admin_token, "policy": r.json(), "pat": pat, "revoked": revoked,
            "user": user, "space": space, "app": app,
            "client_token": tok.json()["access_token"]}


def _check(s, before):
    admin = before["admin"]  # the copied admin token: the policy refuses a new one without expiry
    assert s.token_works(before["pat"]["token"]), "a copied PAT does not work"
    assert s.get("/v1/me", token=before["revoked"]["token"]).status_code == 401, \
        "a revoked PAT works again after the copy"
    r = s.get("/v1/me", token=before["client_token"])
    assert r.status_code == 200 and r.json()["app"]["client_id"] == before["app"]["client_id"]
    app = before["app"]
    r = requests.post(s.url + "/oauth/token", data={"grant_type": "client_credentials"},
                      auth=(app["client_id"], app["client_secret"]), timeout=10)
    assert r.status_code == 200, "the app's secret does not work after the copy"
    r = s.get(f"/v1/spaces/{before['space']['id']}", admin)
    assert r.status_code == 200, describe(r)
    assert [m["email"] for m in r.json()["members"]] == [before["user"]["email"]]
    # ids keep going after the largest copied one
    fresh = s.create_pat(admin, scopes=["manage_tokens"],
                         expires_at=rfc3339(s.now() + dt.timedelta(days=7)))
    assert fresh["id"] > before["revoked"]["id"]
    # the policy moved: it still refuses a token without an expiry
    r = s.get("/v1/policy", admin)
    assert r.status_code == 200 and r.json() == before["policy"], describe(r)
    r = s.post("/v1/users/me/access_tokens", admin,
               json={"name": unique("forever"), "scopes": ["manage_tokens"], "expires_at": None})
    assert r.status_code == 400, describe(r)
    assert r.json()["error"] == "policy_violation"
    assert "at most 30d" in r.json()["error_description"]
    events = s.get("/v1/audit?action=token.revoked", admin).json()["items"]
    assert any(str(before["revoked"]["id"]) in e["target"] for e in events), \
        "the audit log did not move"


def _copy_and_serve(tmp_path, target):
    src = Server(tmp_path / "src", store=tmp_path / "src" / "jeton.db") if PG_BASE \
        else Server(tmp_path / "src")
    src.start()
    try:
        before = _populate(src)
        assert src.stop() == 0
        p = run_jeton("store", "copy", "--from", src.db, "--to", target, cwd=tmp_path)
        cli_ok(p)
        assert "copy complete" in p.stderr
        assert "password" not in p.stderr.lower() or "***" in p.stderr
        if isinstance(target, PgLocation):
            target.used = True   # it holds a copied store: no first-start password
        dst = Server(tmp_path / "dst", store=target)
        dst.start()
        try:
            assert "one-time password" not in dst.stdout_text(), "the copy was initialised again"
            _check(dst, before)
        finally:
            dst.finish()
    finally:
        src.finish()


@pytest.mark.sqlite_only
def test_copy_from_sqlite_to_sqlite_keeps_every_token_working(tmp_path):
    (tmp_path / "src").mkdir()
    _copy_and_serve(tmp_path, tmp_path / "copy.db")


@pytest.mark.pg_only
def test_copy_from_sqlite_to_postgres_keeps_every_token_working(tmp_path):
    (tmp_path / "src").mkdir()
    _copy_and_serve(tmp_path, PgLocation())


def test_copy_refuses_a_target_that_already_has_users(tmp_path):
    a = tmp_path / "a.db"
    b = tmp_path / "b.db"
    cli_ok(run_jeton("--db", a, "init", cwd=tmp_path))
    cli_ok(run_jeton("--db", b, "init", "--admin-email", "other@example.com", cwd=tmp_path))
    p = run_jeton("store", "copy", "--from", a, "--to", b, cwd=tmp_path)
    assert p.returncode == 1
    assert "not empty" in p.stderr
    users = cli_ok(run_jeton("--db", b, "user", "list", cwd=tmp_path)).stdout
    assert "other@example.com" in users and "admin@localhost" not in users

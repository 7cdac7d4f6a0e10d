# SPDX-License-Identifier: MIT
"""What the server answered survives kill -9 and a restart on the same store."""
import subprocess

import pytest

from conftest import Server, assert_401, describe

BASE = "/v1/users/me/access_tokens"


@pytest.fixture(scope="module")
def crashed(tmp_path_factory):
    """Create things, SIGKILL the server right after the last 201/200, start it again."""
    s = Server(tmp_path_factory.mktemp("persist"))
    s.start()
    admin = s.admin_token
    user = s.new_user(name="Survivor")
    space = s.new_space()
    s.grant(space["id"], user["email"], "viewer")
    revoked = s.create_pat(admin, name="revoked-before-crash", scopes=["manage_tokens"])
    r = s.put(f"{BASE}/{revoked['id']}/revoked", admin)
    assert r.status_code == 200, describe(r)
    rotated_from = s.create_pat(admin, name="rotated", scopes=["manage_tokens"])
    r = s.post(f"{BASE}/{rotated_from['id']}/rotate", admin)
    assert r.status_code == 201, describe(r)
    rotated_to = r.json()
    disabled = s.new_user()
    disabled_token = s.create_token(disabled["email"], scopes=["manage_tokens"])
    r = s.patch(f"/v1/users/{disabled['id']}", admin, json={"disabled": True})
    assert r.status_code == 200, describe(r)
    last = s.create_pat(admin, name="created-last", scopes=["manage_tokens"])
    s.kill9()          # immediately after the 201
    s.start()
    yield {"server": s, "admin": admin, "user": user, "space": space, "revoked": revoked,
           "rotated_from": rotated_from, "rotated_to": rotated_to, "last": last,
           "disabled_token": disabled_token}
    s.finish()


def test_token_created_just_before_kill_9_still_works(crashed):
    s, last = crashed["server"], crashed["last"]
    r = s.get("/v1/me", token=last["token"])
    assert r.status_code == 200, describe(r)
    assert r.json()["token"]["id"] == last["id"]
    assert r.json()["token"]["name"] == "created-last"


def test_cli_token_still_works_after_kill_9(crashed):
    s = crashed["server"]
    r = s.get("/v1/me", token=crashed["admin"])
    assert r.status_code == 200, describe(r)


def test_revocation_survives_kill_9(crashed):
    s = crashed["server"]
    assert_401(s.get("/v1/me", token=crashed["revoked"]["token"]))
    r = s.get(f"{BASE}/{crashed['revoked']['id']}", crashed["admin"])
    assert r.status_code == 200 and r.json()["status"] == "revoked", describe(r)


def test_rotation_survives_kill_9(crashed):
    s = crashed["server"]
    assert_401(s.get("/v1/me", token=crashed["rotated_from"]["token"]))
    assert s.get("/v1/me", token=crashed["rotated_to"]["token"]).status_code == 200


def test_disabled_user_stays_disabled_after_kill_9(crashed):
    assert_401(crashed["server"].get("/v1/me", token=crashed["disabled_token"]))


def test_users_spaces_and_memberships_survive_kill_9(crashed):
    s = crashed["server"]
    r = s.get(f"/v1/users/{crashed['user']['id']}", crashed["admin"])
    assert r.status_code == 200 and r.json()["friendly_name"] == "Survivor", describe(r)
    r = s.get(f"/v1/spaces/{crashed['space']['id']}", crashed["admin"])
    assert r.status_code == 200, describe(r)
    assert r.json()["members"] == [{"user_id": crashed["user"]["id"],
                                    "email": crashed["user"]["email"], "role": "viewer"}]


def test_restart_does_not_reinitialise_the_store(crashed):
    s = crashed["server"]
    out = s.stdout_text(s.runs)
    assert "one-time password" not in out, out
    r = s.get("/v1/users?limit=100", crashed["admin"])
    admins = [u for u in r.json()["items"] if u["email"] == "admin@localhost"]
    assert len(admins) == 1


@pytest.mark.sqlite_only
def test_store_passes_an_integrity_check_after_kill_9(crashed):
    p = subprocess.run(["sqlite3", str(crashed["server"].db), "PRAGMA integrity_check;"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and p.stdout.strip() == "ok", (p.stdout, p.stderr)


def test_tokens_survive_a_clean_restart_too(crashed):
    s = crashed["server"]
    s.restart()
    assert s.get("/v1/me", token=crashed["last"]["token"]).status_code == 200
    assert_401(s.get("/v1/me", token=crashed["revoked"]["token"]))

# SPDX-License-Identifier: MIT
"""A full disk under the SQLite store: creations are refused with 503, while
revocations still commit (from the reserve jeton keeps beside the store),
/healthz says the node is degraded, the log stays short, and everything
comes back within about a second once there is room (docs/deploy.md)."""
import errno
import os
import subprocess
import time

import pytest

from conftest import Server, assert_401, assert_error, describe, poll
from oauth_helpers import client_token, create_app, revoke

BASE = "/v1/users/me/access_tokens"
RESERVE_BYTES = 8 * 1024 * 1024      # LIMIT_DISK_RESERVE_BYTES
REFUSED_CREATIONS = 300              # creation attempts made on the full disk
PURGE_FIRST_SECONDS = 60             # jeton serve's first background purge (server/retention.c)

pytestmark = pytest.mark.sqlite_only


def _fill(path):
    """Writes path until the file system has no byte left."""
    with open(path, "wb", buffering=0) as f:
        for chunk in (b"\0" * (1 << 20), b"\0" * 4096, b"\0"):
            try:
                while True:
                    f.write(chunk)
            except OSError as e:
                assert e.errno == errno.ENOSPC, e


def _warnings_and_errors(server):
    return server.log_problems()


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """A server whose store is on a 64 MiB tmpfs, then that tmpfs filled up."""
    work = tmp_path_factory.mktemp("diskfull")
    disk = work / "disk"
    disk.mkdir()
    mount = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m,mode=0700", "tmpfs",
                            str(disk)], capture_output=True, text=True)
    if mount.returncode != 0:
        pytest.skip("needs a small tmpfs to fill, and mounting one is not allowed here "
                    f"(run as root): {mount.stderr.strip()}")
    s = Server(work, db_name=str(disk / "jeton.db"),   # the logs stay off the small disk
               extra_args=["--retention", "0"])       # revoked tokens are purged at once
    try:
        s.start()
        admin = s.admin_token
        victim = s.create_pat(admin, scopes=["manage_tokens"])
        assert s.token_works(victim["token"])
        app = create_app(s, scopes=["read_content"])
        r = client_token(s, app)
        assert r.status_code == 200, describe(r)
        machine = r.json()["access_token"]
        assert s.token_works(machine)
        reserve = disk / "jeton.db.reserve"
        had_reserve = reserve.exists() and reserve.stat().st_size == RESERVE_BYTES
        lines_before = len(_warnings_and_errors(s))
        _fill(disk / "filler")
        # Writes that fit in space the store already holds may still work; a few
        # hundred creations reach the end of it.
        first_refusal = poll(lambda: s.post(BASE, admin, json={"name": "fill"}).status_code == 503,
                             timeout=30, interval=0)
        assert first_refusal, "creations kept working on a full disk"
        yield {"server": s, "admin": admin, "victim": victim, "app": app, "machine": machine,
               "disk": disk,
               "reserve": reserve, "had_reserve": had_reserve, "lines_before": lines_before}
    finally:
        s.finish()
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


def test_the_store_keeps_a_reserve_beside_it(full):
    assert full["had_reserve"], "no 8 MiB jeton.db.reserve beside the store"


def test_creation_on_a_full_disk_is_refused_with_503(full):
    s = full["server"]
    statuses = [s.post(BASE, full["admin"], json={"name": f"refused-{i}"})
                for i in range(REFUSED_CREATIONS)]
    assert {r.status_code for r in statuses} == {503}, describe(statuses[0])
    assert_error(statuses[-1], 503, "temporarily_unavailable")


def test_revocation_on_a_full_disk_commits_and_takes_effect(full):
    s, victim = full["server"], full["victim"]
    r = s.delete(f"{BASE}/{victim['id']}", full["admin"])
    assert r.status_code == 204, describe(r)
    assert_401(s.get("/v1/me", token=victim["token"]))
    r = s.get(f"{BASE}/{victim['id']}", full["admin"])
    assert r.status_code == 200 and r.json()["status"] == "revoked", describe(r)


def test_oauth_revocation_on_a_full_disk_commits_and_takes_effect(full):
    s = full["server"]
    r = revoke(s, full["app"], full["machine"])
    assert r.status_code == 200, describe(r)
    assert_401(s.get("/v1/me", token=full["machine"]))


def test_issuance_on_a_full_disk_is_refused_with_503(full):
    r = client_token(full["server"], full["app"])
    assert r.status_code == 503, describe(r)


def test_existing_tokens_still_verify_on_a_full_disk(full):
    assert full["server"].get("/v1/me", token=full["admin"]).status_code == 200


def test_healthz_says_degraded_disk_full(full):
    r = full["server"].get("/healthz")
    assert r.status_code == 503, describe(r)
    assert r.json() == {"status": "degraded", "reason": "disk full"}


def test_the_log_says_so_once_and_stays_short(full):
    s = full["server"]
    lines = _warnings_and_errors(s)[full["lines_before"]:]
    # Hundreds of refused writes; a handful of lines (each distinct one once).
    assert len(lines) <= 10, f"{len(lines)} lines:\n" + "\n".join(lines[:20])
    assert sum("the disk is full" in line for line in lines) == 1, lines


def test_purge_on_a_full_disk_deletes_what_is_dead(full):
    s, victim = full["server"], full["victim"]     # revoked above; kept 0 days
    s.advance(PURGE_FIRST_SECONDS + 1)             # the server's first background purge
    gone = poll(lambda: s.get(f"{BASE}/{victim['id']}", full["admin"]).status_code == 404,
                timeout=10, interval=0.1)
    assert gone, f"the revoked token is still there: {s.stderr_text()[-2000:]}"
    # the line is written once the purge has committed: a moment after the row is gone
    assert poll(lambda: "purge: deleted" in s.stderr_text()), s.stderr_text()[-2000:]


def test_creation_works_again_within_a_second_of_freeing_space(full):
    s, disk = full["server"], full["disk"]
    os.unlink(disk / "filler")
    freed = time.monotonic()
    created = poll(lambda: s.post(BASE, full["admin"], json={"name": "back"}).status_code == 201,
                   timeout=5, interval=0.02)
    elapsed = time.monotonic() - freed
    assert created, "creations still refused 5 s after space came back"
    assert elapsed < 1.5, f"creations came back after {elapsed:.2f} s"
    assert full["reserve"].stat().st_size == RESERVE_BYTES
    assert os.stat(full["reserve"]).st_blocks * 512 >= RESERVE_BYTES
    r = s.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}, describe(r)

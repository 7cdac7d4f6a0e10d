# SPDX-License-Identifier: MIT
"""/healthz reports writes that fail (docs/deploy.md, "What /healthz answers"):
503 {"status": "degraded", "reason": "store not writable"} while they do,
200 again by itself once they work, without traffic to tell it."""
import sqlite3
import threading
import time

import pytest

from conftest import Server, describe, poll

BASE = "/v1/users/me/access_tokens"
BUSY_SECONDS = 5.0      # LIMIT_STORE_BUSY_MS: how long jeton waits for the write lock


@pytest.fixture()
def srv(tmp_path):
    s = Server(tmp_path)
    s.start()
    yield s
    s.finish()


@pytest.mark.sqlite_only
@pytest.mark.long
def test_healthz_reports_failing_writes_and_recovers_by_itself(srv):
    admin = srv.admin_token
    assert srv.get("/healthz").json() == {"status": "ok"}
    # Another process holds the store's write lock longer than jeton waits.
    holder = sqlite3.connect(str(srv.db), isolation_level=None, timeout=1)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = {}
        creation = threading.Thread(target=lambda: result.update(
            r=srv.post(BASE, admin, json={"name": "locked-out"}, timeout=BUSY_SECONDS + 10)))
        creation.start()
        creation.join(BUSY_SECONDS + 10)
        assert result["r"].status_code == 503, describe(result["r"])
        r = srv.get("/healthz")
        assert r.status_code == 503, describe(r)
        assert r.json() == {"status": "degraded", "reason": "store not writable"}
        assert srv.get("/v1/me", token=admin).status_code == 200, "reads stopped too"
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    released = time.monotonic()
    back = poll(lambda: srv.get("/healthz").status_code == 200, timeout=5)
    assert back, f"still {describe(srv.get('/healthz'))} 5 s after writes work again"
    assert time.monotonic() - released < 2.5
    assert srv.post(BASE, admin, json={"name": "after"}).status_code == 201

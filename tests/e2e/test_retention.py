# SPDX-License-Identifier: MIT
"""Retention: jeton serve purges, in the background, what can never be used again, and
`jeton purge [--dry-run]` does it on demand. A week of simulated use (the test clock, no
sleeps): each day tokens, codes and sessions are made, expire or are revoked, and the
store's rows and file size stay flat; tokens within the retention window stay listed."""
import datetime as dt
import re
import sqlite3
import time

import pytest
import requests

from conftest import (HTTP_TIMEOUT, PG_BASE, Server, cli_ok, describe, rfc3339, unique)
from oauth_helpers import (authorize_code, client_token, code_app, create_app, member, refresh,
                           revoke, tokens)

DAY = 86400
RETENTION_DAYS = 2          # --retention: tokens kept 2 days after expiry or revocation
AUDIT_DAYS = 3              # --audit-retention
DAYS = 7
STEADY_FROM = 4             # by then every kind has been purged at least once
CC_PER_DAY = 150            # client_credentials tokens a day, a third of them revoked
PATS_PER_DAY = 20           # personal tokens a day, expiring within the day, a quarter revoked
TABLES = ("pats", "oauth_tokens", "auth_codes", "sessions", "audit")
PURGE_TIMEOUT = 15.0        # the background purge looks at the clock every second
KINDS = ("authorization codes", "console sessions", "personal access tokens", "OAuth tokens",
         "audit events", "throttle counters")


def rows(server, table):
    if PG_BASE:
        return int(server.db.sql(f"SELECT count(*) FROM {table}")[0])
    with sqlite3.connect(f"file:{server.db}?mode=ro", uri=True, timeout=10) as db:
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def counts(server):
    return {t: rows(server, t) for t in TABLES}


def purge_cli(server, *args):
    """`jeton purge ARGS` with this file's retention; {kind: count} from its output."""
    p = cli_ok(server.cli("purge", "--retention", RETENTION_DAYS, "--audit-retention",
                          AUDIT_DAYS, *args))
    out = {}
    for line in p.stdout.splitlines()[1:]:
        m = re.match(r"^(.*?)\s+(\d+)$", line)
        assert m, f"jeton purge printed {p.stdout!r}"
        out[m.group(1)] = int(m.group(2))
    assert set(out) == set(KINDS), p.stdout
    return out


def wait_purged(server):
    """Waits until nothing dead is left at the server's clock: its purge has run."""
    deadline = time.monotonic() + PURGE_TIMEOUT
    while True:
        left = purge_cli(server, "--dry-run")
        if not any(left.values()):
            return
        assert time.monotonic() < deadline, f"the background purge did not run: {left}"
        time.sleep(0.1)


def store_bytes(server):
    """The SQLite store's size: what its file holds once the WAL is folded in (the
    checkpointer does it within a second), free pages included."""
    with sqlite3.connect(f"file:{server.db}?mode=ro", uri=True, timeout=10) as db:
        return (db.execute("PRAGMA page_count").fetchone()[0] *
                db.execute("PRAGMA page_size").fetchone()[0])


@pytest.fixture(scope="module")
def churned(tmp_path_factory):
    """A week of use, a day at a time; the rows and size of the store after each day's purge."""
    s = Server(tmp_path_factory.mktemp("retention"),
               extra_args=["--retention", RETENTION_DAYS, "--audit-retention", AUDIT_DAYS])
    s.start()
    try:
        yield churn(s)
    finally:
        s.finish()


def churn(s):
    http = requests.Session()
    admin = s.admin_token
    cc_app = create_app(s, grants=["client_credentials"], access_ttl=3600)
    user = member(s)
    app = code_app(s, refresh_ttl=12 * 3600)
    days, sentinels = [], []
    for day in range(DAYS):
        # personal tokens that expire within the day, a quarter revoked
        expires = rfc3339((s.now() + dt.timedelta(hours=12)).replace(microsecond=0))
        made = []
        for i in range(PATS_PER_DAY):
            r = http.post(s.url + "/v1/users/me/access_tokens", timeout=HTTP_TIMEOUT,
                          headers={"Authorization": f"Bearer {admin}"},
                          json={"name": f"day{day}-{i}", "expires_at": expires})
            assert r.status_code == 201, describe(r)
            made.append(r.json()["id"])
        for pat_id in made[::4]:
            r = http.delete(f"{s.url}/v1/users/me/access_tokens/{pat_id}", timeout=HTTP_TIMEOUT,
                            headers={"Authorization": f"Bearer {admin}"})
            assert r.status_code == 204, describe(r)
        # a revoked token that never expires: listed while within the window
        keep = s.create_pat(admin, name=f"revoked-day{day}")
        r = s.delete(f"/v1/users/me/access_tokens/{keep['id']}", admin)
        assert r.status_code == 204, describe(r)
        sentinels.append((day, keep["id"]))
        # client-credentials tokens, one in three revoked
        for i in range(CC_PER_DAY):
            r = client_token(s, cc_app)
            assert r.status_code == 200, describe(r)
            if i % 3 == 0:
                assert revoke(s, cc_app, r.json()["access_token"]).status_code == 200
        # a code exchanged and its refresh token rotated; a code never used;
        # each flow logs in: a console session
        t = tokens(s, app, user)
        assert refresh(s, app, t["refresh_token"]).status_code == 200
        flow = authorize_code(s, app, user)
        assert flow["code"]

        s.advance(DAY)
        wait_purged(s)
        listed = listed_ids(s, admin)
        days.append({"rows": counts(s), "bytes": None if PG_BASE else store_bytes(s),
                     "listed": {d: pat_id in listed for d, pat_id in sentinels}})
    return days


def listed_ids(s, token):
    ids, before = set(), None
    for _ in range(100):
        r = s.get("/v1/users/me/access_tokens", token,
                  params={"limit": 100, **({"before": before} if before else {})})
        assert r.status_code == 200, describe(r)
        ids.update(t["id"] for t in r.json()["items"])
        before = r.json()["next_before"]
        if not before:
            return ids
    raise AssertionError("more than 100 pages of tokens")


def test_row_counts_stay_flat_over_a_week(churned):
    print("\nrows and bytes after each day's purge:",
          *[f"day {i + 1}: {d['rows']} {d['bytes']}" for i, d in enumerate(churned)], sep="\n  ")
    steady = [d["rows"] for d in churned[STEADY_FROM - 1:]]
    for table in TABLES:
        seen = [r[table] for r in steady]
        assert max(seen) <= min(seen) * 1.1 + 2, \
            f"{table} grows day after day: {[d['rows'][table] for d in churned]}"
    # without the purge the last day would hold every token made in the week
    assert churned[-1]["rows"]["oauth_tokens"] < CC_PER_DAY * DAYS / 2, churned[-1]["rows"]
    assert churned[-1]["rows"]["pats"] < PATS_PER_DAY * DAYS / 2, churned[-1]["rows"]


@pytest.mark.sqlite_only
def test_file_size_stays_flat_over_a_week(churned):
    sizes = [d["bytes"] for d in churned]
    assert sizes[-1] <= sizes[STEADY_FROM - 1] + 8 * 4096, \
        f"the store grows day after day: {sizes}"


def test_revoked_tokens_stay_listed_within_the_retention_window(churned):
    last = churned[-1]["listed"]
    for day, listed in last.items():
        age = DAYS - day            # whole days since its revocation (and seconds more)
        assert listed == (age < RETENTION_DAYS), \
            f"the token revoked on day {day} ({age} days ago): listed {listed}"


@pytest.fixture
def stopped_store(tmp_path):
    """A store with dead rows of every kind, its server stopped: the CLI alone purges."""
    s = Server(tmp_path, extra_args=["--retention", RETENTION_DAYS])
    s.start()
    admin = s.admin_token
    cc_app = create_app(s, grants=["client_credentials"], access_ttl=3600)
    for _ in range(5):
        assert client_token(s, cc_app).status_code == 200
    pat = s.create_pat(admin, name=unique("dead"))
    assert s.delete(f"/v1/users/me/access_tokens/{pat['id']}", admin).status_code == 204
    user = member(s)
    authorize_code(s, code_app(s), user)        # a session, and a code never used
    assert s.stop() == 0
    s.advance((max(RETENTION_DAYS, AUDIT_DAYS) + 1) * DAY)   # well past both windows
    yield s
    s.finish()


def test_dry_run_counts_and_changes_nothing(stopped_store):
    s = stopped_store
    before = counts(s)
    would = purge_cli(s, "--dry-run")
    assert counts(s) == before
    assert would["OAuth tokens"] == 5 and would["personal access tokens"] == 1 and \
        would["authorization codes"] == 1 and would["console sessions"] == 1, would
    done = purge_cli(s)
    assert done == would
    after = counts(s)
    assert after["oauth_tokens"] == before["oauth_tokens"] - 5
    assert after["pats"] == before["pats"] - 1
    assert after["auth_codes"] == before["auth_codes"] - 1
    assert after["sessions"] == before["sessions"] - 1
    assert purge_cli(s, "--dry-run") == dict.fromkeys(KINDS, 0)


def test_purge_refuses_a_bad_retention(stopped_store):
    p = stopped_store.cli("purge", "--retention", "-1")
    assert p.returncode == 2, p.stderr
    assert "--retention" in p.stderr

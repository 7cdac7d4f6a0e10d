# SPDX-License-Identifier: MIT
"""jeton behind pgbouncer in transaction pooling mode (Debian 12's pgbouncer 1.18, which
cannot keep named prepared statements): with jeton_prepare=off in the location every
statement is an unnamed one, and issuance, creation, verification and revocation work
under concurrent load, with nothing logged as failed (docs/deploy.md)."""
import concurrent.futures
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse

import pytest

from conftest import (PG_BASE, PgLocation, Server, assert_401, describe, free_port, run_jeton,
                      unique)
from oauth_helpers import client_token, create_app, revoke

pytestmark = pytest.mark.pg_only
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
CLIENTS = 8
REQUESTS = 40               # per client and kind


def _as_postgres(cmd):
    return ["runuser", "-u", "postgres", "--", *cmd] if os.getuid() == 0 else cmd


@pytest.fixture(scope="module")
def pgbouncer():
    """pgbouncer on a loopback port, pool_mode = transaction, in front of the test cluster."""
    if not os.access(PGBOUNCER, os.X_OK):
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    pg = urllib.parse.urlsplit(PG_BASE)
    work = tempfile.mkdtemp(prefix="jeton-pgbouncer-")
    if os.getuid() == 0:
        shutil.chown(work, "postgres")      # pgbouncer refuses to run as root
    port = free_port()
    ini = os.path.join(work, "pgbouncer.ini")
    with open(ini, "w") as f:
        f.write(f"[databases]\n* = host={pg.hostname} port={pg.port} user={pg.username}\n"
                f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\n"
                "unix_socket_dir =\nauth_type = any\npool_mode = transaction\n"
                "max_client_conn = 200\ndefault_pool_size = 4\n"
                f"logfile = {work}/pgbouncer.log\npidfile = {work}/pgbouncer.pid\n")
    proc = subprocess.Popen(_as_postgres([PGBOUNCER, ini]), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 10
    while subprocess.run(["psql", f"postgres://{pg.username}@127.0.0.1:{port}/postgres",
                          "-qAtc", "SELECT 1"], capture_output=True).returncode != 0:
        assert proc.poll() is None and time.monotonic() < deadline, "pgbouncer did not start"
        time.sleep(0.05)
    yield {"port": port, "user": pg.username}
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=10)
    shutil.rmtree(work, ignore_errors=True)


class Pooled:
    """A fresh database of the test cluster, reached through pgbouncer."""

    def __init__(self, pgbouncer, params):
        self.direct = PgLocation()
        self.url = (f"postgres://{pgbouncer['user']}@127.0.0.1:{pgbouncer['port']}/"
                    f"{self.direct.name}{params}")
        self.used = False

    def __str__(self):
        return self.url

    def __fspath__(self):
        return self.url

    def exists(self):
        return self.used


@pytest.fixture(scope="module")
def pooled(pgbouncer, tmp_path_factory):
    s = Server(tmp_path_factory.mktemp("pgbouncer"),
               store=Pooled(pgbouncer, "?jeton_prepare=off"))
    s.start()
    s.db.used = True
    yield s
    s.finish()


def test_every_kind_of_write_works_through_pgbouncer_in_transaction_mode(pooled):
    s = pooled
    admin = s.admin_token
    app = create_app(s, grants=["client_credentials"])

    def issue(_):
        r = client_token(s, app)
        assert r.status_code == 200, describe(r)
        return r.json()["access_token"]

    def create(i):
        return s.create_pat(admin, name=f"pooled-{i}")["token"]

    with concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        issued = list(pool.map(issue, range(CLIENTS * REQUESTS)))
        created = list(pool.map(create, range(CLIENTS * REQUESTS)))
    assert len(set(issued)) == len(issued) and len(set(created)) == len(created)
    for token in issued[::37] + created[::37]:
        s.assert_token_works(token)
    assert revoke(s, app, issued[0]).status_code == 200
    assert_401(s.get("/v1/me", token=issued[0]))
    pat = s.create_pat(admin, name=unique("revoked"))
    assert s.delete(f"/v1/users/me/access_tokens/{pat['id']}", admin).status_code == 204
    assert_401(s.get("/v1/me", token=pat["token"]))
    failures = s.log_problems()
    assert not failures, "\n".join(failures[:10])


def test_the_cli_works_through_pgbouncer_in_transaction_mode(pooled):
    for i in range(3):
        pooled.create_token("admin@localhost", name=f"cli-{i}")


def test_a_bad_jeton_prepare_value_is_refused(pooled):
    p = run_jeton("--db", str(pooled.db).replace("=off", "=maybe"), "user", "list")
    assert p.returncode == 1, p.stdout
    assert "jeton_prepare in the location must be on or off" in p.stderr

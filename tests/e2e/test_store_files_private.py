# SPDX-License-Identifier: MIT
"""The SQLite store holds token, secret and password hashes and sealed signing keys: its file and
the -wal and -shm files beside it are readable by jeton's user alone (0600), as the key file is,
whatever the umask of the environment."""
import os
import stat

import pytest

from conftest import Server, cli_ok, run_jeton

pytestmark = pytest.mark.sqlite_only


@pytest.fixture
def permissive_umask():
    old = os.umask(0o022)     # what a shell commonly has: files 0644
    yield
    os.umask(old)


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_store_made_by_serve_and_its_wal_and_shm_are_0600(tmp_path, permissive_umask):
    s = Server(tmp_path / "srv")
    s.start()
    try:
        s.admin_token           # a write: the WAL holds data now
        modes = {name: _mode(tmp_path / "srv" / name)
                 for name in ("jeton.db", "jeton.db-wal", "jeton.db-shm")}
    finally:
        s.finish()
    assert modes == {"jeton.db": 0o600, "jeton.db-wal": 0o600, "jeton.db-shm": 0o600}, \
        {k: oct(v) for k, v in modes.items()}


def test_a_store_made_by_the_cli_is_0600(tmp_path, permissive_umask):
    db = tmp_path / "cli.db"
    cli_ok(run_jeton("--db", db, "init", cwd=tmp_path))
    assert _mode(db) == 0o600, oct(_mode(db))

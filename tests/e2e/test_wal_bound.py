# SPDX-License-Identifier: MIT
"""Sustained writes keep the SQLite WAL under its documented bound
(docs/deploy.md, "Disk use"). `make soak` runs the same for longer."""
import os

import pytest

from conftest import Server
from write_load import WriteLoad

WAL_BOUND = 64 * 1024 * 1024          # LIMIT_WAL_BYTES
SECONDS = float(os.environ.get("JETON_SOAK_SECONDS", "20"))
# Without the bound each created token adds about 16 KiB to the WAL: a load
# that creates fewer than this many tokens would not show the problem.
MEANINGFUL = 2 * WAL_BOUND // (16 * 1024)


@pytest.mark.sqlite_only
def test_wal_stays_under_its_bound_under_sustained_token_creation(tmp_path):
    s = Server(tmp_path, access_log=False)
    s.start()
    try:
        load = WriteLoad(s.port, s.admin_token, str(s.db), clients=4, seconds=SECONDS).run()
    finally:
        s.finish()
    curve = " ".join(f"{w / 2**20:.1f}" for w in load.wal)
    print(f"\nWAL MiB each second: {curve}\n{load.created} tokens, "
          f"{load.created / SECONDS:.0f}/s, p99 {load.p99_ms():.1f} ms")
    assert set(load.statuses) == {201}, load.statuses
    assert load.created >= MEANINGFUL, \
        f"only {load.created} tokens in {SECONDS:.0f} s: too light a load to test the bound"
    assert max(load.wal) < WAL_BOUND, f"WAL over {WAL_BOUND >> 20} MiB; MiB each second: {curve}"

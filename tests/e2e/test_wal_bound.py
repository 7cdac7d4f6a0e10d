# SPDX-License-Identifier: MIT
"""Sustained writes keep the SQLite WAL under its documented bound
(docs/deploy.md, "Disk use"). `make soak` runs the same for longer."""
import os

import pytest

from conftest import Server
from write_load import WriteLoad

WAL_BOUND = 64 * 1024 * 1024          # LIMIT_WAL_BYTES
# Without the bound each created token adds about 16 KiB to the WAL (it grew
# by 50-100 MiB/s): a load that creates fewer than this many tokens would not
# show the problem.
MEANINGFUL = 2 * WAL_BOUND // (16 * 1024)
# make test: until three times the tokens the bound holds (12,288: about 192 MiB
# of WAL without the bound, a dozen restarts at 16 MiB with it), a few seconds;
# make soak: JETON_SOAK_SECONDS of load.
SOAK = os.environ.get("JETON_SOAK_SECONDS")
SECONDS = float(SOAK) if SOAK else 30.0
TOKENS = None if SOAK else 3 * WAL_BOUND // (16 * 1024)


@pytest.mark.sqlite_only
@pytest.mark.long
def test_wal_stays_under_its_bound_under_sustained_token_creation(tmp_path):
    s = Server(tmp_path, access_log=False)
    s.start()
    try:
        load = WriteLoad(s.port, s.admin_token, str(s.db), clients=4, seconds=SECONDS,
                         tokens=TOKENS).run()
    finally:
        s.finish()
    curve = " ".join(f"{w / 2**20:.1f}" for w in load.wal)
    seconds = len(load.wal)
    print(f"\nWAL MiB each second: {curve}\n{load.created} tokens, "
          f"{load.created / seconds:.0f}/s, p99 {load.p99_ms():.1f} ms")
    assert set(load.statuses) == {201}, load.statuses
    assert load.created >= MEANINGFUL, \
        f"only {load.created} tokens in {seconds} s: too light a load to test the bound"
    assert max(load.wal) < WAL_BOUND, f"WAL over {WAL_BOUND >> 20} MiB; MiB each second: {curve}"

#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Seed a jeton SQLite store with COUNT extra personal access tokens.

usage: seed.py DB COUNT [EMAIL]

The rows go straight into table `pats` (one transaction, executemany) for the
user EMAIL (default admin@localhost). Their token_hash is 32 random bytes, so
no one knows their secrets: they only make the store big. Hashes are inserted
in sorted order so the UNIQUE index is built by appending, not by random
B-tree inserts.
"""
import os
import sqlite3
import sys
import time


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__.strip())
    db, count = sys.argv[1], int(sys.argv[2])
    email = sys.argv[3] if len(sys.argv) == 4 else "admin@localhost"
    if count <= 0:
        return
    t0 = time.monotonic()
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA busy_timeout = 10000")
    con.execute("PRAGMA cache_size = -262144")  # 256 MiB while seeding
    row = con.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
    if row is None:
        sys.exit(f"seed.py: no user {email} in {db}")
    uid = row[0]

    raw = os.urandom(32 * count)
    hashes = sorted({raw[i:i + 32] for i in range(0, len(raw), 32)})
    while len(hashes) < count:  # never in practice: 256-bit collisions
        hashes = sorted(set(hashes) | {os.urandom(32)})
    now = int(time.time())
    rows = ((uid, "seed", h, "jtp_xxxx", "read_content manage_tokens", now)
            for h in hashes)

    con.execute("BEGIN IMMEDIATE")
    con.executemany(
        "INSERT INTO pats(user_id, name, token_hash, display_prefix, scopes, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)", rows)
    con.execute("COMMIT")
    mode = con.execute("PRAGMA journal_mode").fetchone()[0]
    if mode == "wal":
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    total = con.execute("SELECT count(*) FROM pats").fetchone()[0]
    con.close()
    print(f"seeded {count} tokens in {time.monotonic() - t0:.1f} s "
          f"(pats now {total}, journal_mode {mode})", file=sys.stderr)


if __name__ == "__main__":
    main()

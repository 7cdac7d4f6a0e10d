#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Put COUNT unused authorization codes straight into a jeton SQLite store.

usage: oauth_codes.py DB COUNT OUT CLIENT_ID EMAIL SPACE_ID REDIRECT_URI

Each code is what the consent page would have issued (src/token/format.c):
"jtk_" + 32 base62 characters + the CRC32 (zlib) of those 36 characters as
6 base62 digits, most significant first. Table auth_codes gets SHA-256(code)
for the app CLIENT_ID, the user EMAIL, the space SPACE_ID and REDIRECT_URI
(redirect_given 1, no PKCE, scopes read_content). They expire in an hour,
not in the server's 60 s, so that none expires during the bench. The codes
themselves go to OUT, one a line, for the wrk script code_exchange.lua.
"""
import hashlib
import secrets
import sqlite3
import sys
import time
import zlib

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def checksum(s):
    crc = zlib.crc32(s.encode())
    out = []
    for _ in range(6):
        out.append(B62[crc % 62])
        crc //= 62
    return "".join(reversed(out))


# uniform base62 from random bytes: keep bytes < 248 (= 4 * 62), map b % 62
TABLE = bytes(B62[b % 62].encode()[0] if b < 248 else 0 for b in range(256))
DROP = bytes(range(248, 256))


def random_base62(n):
    out = b""
    while len(out) < n:
        out += secrets.token_bytes(n + n // 16 + 8).translate(TABLE, DROP)
    return out[:n].decode()


def new_codes(count):
    pool = random_base62(32 * count)
    for i in range(count):
        body = "jtk_" + pool[32 * i:32 * i + 32]
        yield body + checksum(body)


def main():
    if len(sys.argv) != 8:
        sys.exit(__doc__.strip())
    db, count, out, client_id, email, space_id, redirect = sys.argv[1:]
    count, space_id = int(count), int(space_id)
    t0 = time.monotonic()
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA busy_timeout = 10000")
    app = con.execute("SELECT id FROM apps WHERE client_id = ?", (client_id,)).fetchone()
    user = con.execute("SELECT id FROM users WHERE email = ?", (email,)).fetchone()
    if app is None or user is None:
        sys.exit(f"oauth_codes.py: no app {client_id} or no user {email} in {db}")

    codes = list(set(new_codes(count)))  # 190-bit codes: no duplicates in practice
    now = int(time.time())
    rows = sorted(
        (hashlib.sha256(c.encode()).digest(), app[0], user[0], space_id, redirect, 1,
         "read_content", "", "", 1 + secrets.randbelow(2**62), now, now + 3600)
        for c in codes)
    con.execute("BEGIN IMMEDIATE")
    con.executemany(
        "INSERT INTO auth_codes(code_hash, app_id, user_id, space_id, redirect_uri, "
        "redirect_given, scopes, challenge, challenge_method, family_id, created_at, "
        "expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    con.execute("COMMIT")
    if con.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    with open(out, "w") as f:
        f.write("\n".join(codes) + "\n")
    print(f"stored {count} authorization codes in {time.monotonic() - t0:.1f} s",
          file=sys.stderr)


if __name__ == "__main__":
    main()

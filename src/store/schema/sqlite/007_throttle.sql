-- SPDX-License-Identifier: MIT
-- jeton schema v7 (SQLite): login throttling's counters, for a store that
-- several nodes share (auth/throttle.c). SQLite has one node, which counts
-- in memory: here the table stays empty.

CREATE TABLE throttle (
  key         BLOB PRIMARY KEY,             -- SHA-256 of what it counts: no email or address
  failures    INTEGER NOT NULL DEFAULT 0,
  passes      INTEGER NOT NULL DEFAULT 0,
  start_ms    INTEGER NOT NULL DEFAULT 0,   -- wall-clock milliseconds
  last_ms     INTEGER NOT NULL DEFAULT 0,
  reported_ms INTEGER NOT NULL DEFAULT 0,
  until_ms    INTEGER NOT NULL DEFAULT 0    -- counts nothing after this: purged
) WITHOUT ROWID;
CREATE INDEX throttle_by_until ON throttle(until_ms);

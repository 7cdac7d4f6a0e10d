-- SPDX-License-Identifier: MIT
-- jeton schema v7 (PostgreSQL): login throttling's counters, shared by every
-- node so that the limits do not multiply by the number of nodes
-- (auth/throttle.c). A row per account, address and (account, address) pair
-- under guessing, locked while a node decides on an attempt.

CREATE TABLE throttle (
  key         BYTEA PRIMARY KEY,            -- SHA-256 of what it counts: no email or address
  failures    INTEGER NOT NULL DEFAULT 0,
  passes      INTEGER NOT NULL DEFAULT 0,
  start_ms    BIGINT NOT NULL DEFAULT 0,    -- wall-clock milliseconds
  last_ms     BIGINT NOT NULL DEFAULT 0,
  reported_ms BIGINT NOT NULL DEFAULT 0,
  until_ms    BIGINT NOT NULL DEFAULT 0     -- counts nothing after this: purged
);
CREATE INDEX throttle_by_until ON throttle(until_ms);
